"""Tests for the data-subject-request domain logic."""
