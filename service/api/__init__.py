"""HTTP resources: one flask-smorest Blueprint per module."""
