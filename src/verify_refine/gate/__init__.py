"""The CI gate: walk a tree (links inside the root followed, none leaving it), check every
certificate through the pipeline, require every refined policy to be covered."""
