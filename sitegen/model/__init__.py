"""The site's model: the frozen library of papers and sections, and the one URL scheme."""
