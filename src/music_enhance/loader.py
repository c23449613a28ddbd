"""Training windows from HDF5 shards.

``ShardWindows`` reads (input, target) windows from one or more shards. It opens
the files lazily in the process that reads them, so DataLoader workers (forked
after the dataset was built) each get handles of their own, and it reads a
batch in sorted order, row by row. ``WindowBatches`` shuffles
all windows of all shards with a seed and the epoch, gives DDP rank r of R the
batches r, r+R, ..., and the DataLoader hands each batch to one worker, so
ranks and workers see disjoint windows whose union is the split.
"""

import os

import h5py
import numpy as np
import torch
import torch.distributed as dist

from .shard import _locking


class ShardWindows(torch.utils.data.Dataset):
    def __init__(self, paths, file_locking: bool = True):
        self.paths = [str(p) for p in paths]
        self.locking = file_locking
        counts, formats = [], set()
        for path in self.paths:
            try:
                with h5py.File(path, "r", **_locking(file_locking)) as h5:
                    counts.append(len(h5["piece"]))
                    formats.add((int(h5.attrs["window"]), int(h5.attrs["sample_rate"])))
            except (OSError, KeyError) as err:
                raise ValueError(f"{path}: not a readable shard ({err})") from err
        if len(formats) != 1:
            raise ValueError(f"shards {self.paths} differ in (window, sample rate): {formats}")
        self.window, self.sample_rate = formats.pop()
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._files, self._pid = {}, None

    def __len__(self) -> int:
        return int(self.starts[-1])

    def _file(self, shard: int):
        if self._pid != os.getpid():  # a fresh process (worker): new handles
            self._files, self._pid = {}, os.getpid()
        if shard not in self._files:
            self._files[shard] = h5py.File(self.paths[shard], "r", **_locking(self.locking))
        return self._files[shard]

    def __getitems__(self, indices):
        """(input, target, index) for a batch: tensors (B, 1, window), (B, 1, window), (B,)."""
        indices = np.array(indices, dtype=np.int64)  # a copy: safe for torch.from_numpy
        if len(indices) and (indices.min() < 0 or indices.max() >= len(self)):
            raise IndexError(f"window index out of range 0..{len(self) - 1}")
        order = np.argsort(indices, kind="stable")
        ordered = indices[order]
        shard_of = np.searchsorted(self.starts, ordered, side="right") - 1
        inputs = np.empty((len(indices), self.window), dtype=np.float32)
        targets = np.empty_like(inputs)
        # Row by row: h5py's fancy indexing builds a point selection that reads
        # about five times slower than plain row reads (bench/loader.py).
        for slot, index, shard in zip(order, ordered, shard_of, strict=True):
            h5 = self._file(int(shard))
            row = index - self.starts[shard]
            inputs[slot] = h5["input"][row]
            targets[slot] = h5["target"][row]
        return (torch.from_numpy(inputs).unsqueeze(1), torch.from_numpy(targets).unsqueeze(1),
                torch.from_numpy(indices))

    def __getitem__(self, index):
        x, y, i = self.__getitems__([index])
        return x[0], y[0], i[0]

    def window_id(self, index: int) -> tuple[str, int]:
        """(piece id, offset) of a window, to trace it back to its piece."""
        shard = int(np.searchsorted(self.starts, index, side="right") - 1)
        h5 = self._file(shard)
        row = index - self.starts[shard]
        return h5["pieces"][h5["piece"][row]].decode(), int(h5["offset"][row])


class WindowBatches(torch.utils.data.Sampler):
    """Seeded, shuffled batches of window indices; each DDP rank gets its own."""

    def __init__(self, n_windows: int, batch_size: int, seed: int, rank: int | None = None,
                 world_size: int | None = None, drop_last: bool = True):
        distributed = dist.is_available() and dist.is_initialized()
        self.rank = rank if rank is not None else (dist.get_rank() if distributed else 0)
        self.world = world_size if world_size is not None else (
            dist.get_world_size() if distributed else 1)
        self.n, self.batch_size, self.seed, self.drop_last = (n_windows, batch_size, seed,
                                                              drop_last)
        self.epoch = 0
        if self._mine(np.arange(n_windows)).size < batch_size and drop_last:
            raise ValueError(f"batch_size: {n_windows} windows over {self.world} ranks make "
                             f"no batch of {batch_size}; lower batch_size or add pieces")

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _mine(self, order):
        return order[self.rank::self.world]

    def __iter__(self):
        order = self._mine(np.random.default_rng([self.seed, self.epoch]).permutation(self.n))
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            yield order[start:start + self.batch_size].tolist()

    def __len__(self):
        n = len(self._mine(np.arange(self.n)))
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def whole_batch(batch):
    """collate_fn: ``__getitems__`` already returns a stacked batch."""
    return batch


def window_loader(dataset, batch_size: int, seed: int, workers: int = 0, **sampler_args):
    sampler = WindowBatches(len(dataset), batch_size, seed, **sampler_args)
    loader = torch.utils.data.DataLoader(
        dataset, batch_sampler=sampler, num_workers=workers, collate_fn=whole_batch,
        pin_memory=torch.cuda.is_available(), persistent_workers=workers > 0)
    return loader, sampler
