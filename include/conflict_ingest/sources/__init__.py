"""Where pages come from: the source registry (sources.yaml) and fetch families."""
