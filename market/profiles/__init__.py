"""Worker profiles: skills, home and travel radius, availability and its exceptions, the relationship
types a worker accepts (docs/profiles.md).
"""
