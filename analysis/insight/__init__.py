"""Findings from the stored comments: overview, trends, topics, insights and the report."""
