"""Tests of the redaction engine package."""
