"""The community: what shoppers say to partners and about what they see (reports)."""
