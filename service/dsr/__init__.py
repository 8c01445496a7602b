"""Data-subject requests: statutory deadlines, access packages and the work around them."""
