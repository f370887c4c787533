"""Global search: items, evidence files, people and reports across the programs a person may see."""
