"""Independent QC (double programming): the R program in qc/ recomputes the posted numbers from
the raw cut, and this package compares them with the pipeline's, value by value."""
