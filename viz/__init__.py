"""Graph images of microprop graphs (installed as ``microprop.viz``).

Filled by the visualization work: ``draw``, ``to_dot`` and the stepper page.
"""
