"""Demo data: the Chiba and Yamagata networks from their plans, partner networks, demo logins and fictitious
companies (``renkei demo``). See ``loader.py``."""
