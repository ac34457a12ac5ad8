"""The local photo library: walking, rules, decoding, the index."""
