"""The data stages: download, manifest, demo corpus, render, degrade, shard, loader."""
