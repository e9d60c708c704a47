// placeholder: filled in by issue 6 (cache sweeps under the heap lock)
