"""One relationship type, spelled as the API and the database write it. Unit tier: no server."""
from market.kernel.relationships import RelationshipType


def test_each_relationship_type_is_named_as_the_api_and_the_database_write_it():
    assert [(member.name, member.value) for member in RelationshipType] == [
        ("labor_part_time", "labor_part_time"),
        ("incomplete_labor", "incomplete_labor"),
        ("labor_service", "labor_service"),
        ("shared_labor", "shared_labor"),
    ]


def test_a_relationship_type_is_its_stored_text():
    assert RelationshipType("shared_labor") is RelationshipType.shared_labor
    assert RelationshipType.labor_service == "labor_service"
