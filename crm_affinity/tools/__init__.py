"""Helpers shared by models and wizards."""
