"""`market demo`: a realistic Chongqing market built and played through the service layer.

plan.py decides who and what (pure, from a seed); registration.py signs the parties up;
simulation.py plays a week on a simulated clock through the services; report.py and queries.py
sum it up; cli.py is the command. docs/demo.md describes what the demo builds.
"""
from market.demo.simulation import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
