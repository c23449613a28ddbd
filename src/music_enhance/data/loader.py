"""Training windows from HDF5 shards.

``ShardWindows`` reads (input, target) windows from one or more shards. It opens
the files lazily in the process that reads them, so DataLoader workers (forked
after the dataset was built) each get handles of their own. Uncompressed shards
store windows contiguously: those are memory-mapped and a batch is one numpy
gather (h5py costs ~60 us per row read); compressed shards are read row by row
through h5py. ``WindowBatches`` shuffles all windows of all shards with a seed and
the epoch, gives DDP rank r of R the batches r, r+R, ..., and the DataLoader hands
each batch to one worker, so ranks and workers see disjoint windows whose union is
the split. ``WindowLoader`` has the workers write batches into shared memory that
the consumer reads without a copy (``_Ring``).
"""

import collections
import os
import weakref

import h5py
import numpy as np
import torch
import torch.distributed as dist

from .shard import INT16_SCALE, _locking, window_crcs


def _mapped(path: str, dataset) -> np.ndarray | None:
    """The dataset as a read-only memory map of the file, when its bytes lie there
    contiguously and unfiltered; else None."""
    offset = dataset.id.get_offset()
    if dataset.chunks is not None or offset is None:
        return None
    size = os.path.getsize(path)
    if offset + dataset.nbytes > size:
        raise ValueError(f"{path}: truncated shard ({size} bytes, dataset "
                         f"{dataset.name} needs {offset + dataset.nbytes})")
    return np.memmap(path, dataset.dtype, "r", offset, dataset.shape)


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
            path = self.paths[shard]
            h5 = h5py.File(path, "r", **_locking(self.locking))
            mapped = {name: _mapped(path, h5[name]) for name in ("input", "target")}
            crcs = {name: h5[f"{name}_crc32"][:] if f"{name}_crc32" in h5 else None
                    for name in ("input", "target")}
            self._files[shard] = (h5, mapped, crcs)
        return self._files[shard]

    def _check(self, shard: int, name: str, rows: np.ndarray, stored: np.ndarray) -> None:
        """The rows read, as stored, against the CRC-32 written with them."""
        expected = self._file(shard)[2][name]
        if expected is None:
            return
        bad = np.flatnonzero(window_crcs(stored) != expected[rows])
        if len(bad):
            raise ValueError(f"{self.paths[shard]}: window {rows[bad[0]]} of {name} fails its "
                             f"CRC-32 (the file changed after it was written); delete the "
                             f"shard to rebuild it")

    def _rows(self, shard: int, name: str, rows: np.ndarray, out: np.ndarray) -> None:
        h5, mapped, _ = self._file(shard)
        source = mapped[name]
        if source is None:
            # Row by row: h5py's fancy indexing builds a point selection that reads
            # about five times slower than plain row reads (bench/loader.py).
            dataset = h5[name]
            try:
                block = np.stack([dataset[row] for row in rows]) if len(rows) else out[:0]
            except OSError as err:  # a compressed chunk whose bytes changed
                raise ValueError(f"{self.paths[shard]}: {name} windows cannot be read "
                                 f"({err}); delete the shard to rebuild it") from None
        elif source.dtype == np.float32:
            # mode="clip" (rows are checked in read): with the default "raise",
            # numpy gathers into a temporary and copies it, at half the speed.
            np.take(source, rows, axis=0, out=out, mode="clip")
            self._check(shard, name, rows, out)
            return
        else:
            block = source[rows]
        self._check(shard, name, rows, block)
        if block.dtype == np.int16:
            np.multiply(block, np.float32(1 / INT16_SCALE), out=out, casting="unsafe")
        else:
            out[...] = block

    def read(self, indices, inputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Fill ``inputs[:n]`` and ``targets[:n]`` (float32, (>=n, window)) with the
        windows ``indices`` in ascending order (sequential reads); return that order."""
        indices = np.sort(np.array(indices, dtype=np.int64))
        if len(indices) and (indices[0] < 0 or indices[-1] >= len(self)):
            raise IndexError(f"window index out of range 0..{len(self) - 1}")
        shard_of = np.searchsorted(self.starts, indices, side="right") - 1
        bounds = np.searchsorted(shard_of, np.arange(len(self.starts)))
        for shard in np.unique(shard_of):
            first, last = bounds[shard], bounds[shard + 1]
            rows = indices[first:last] - self.starts[shard]
            for name, out in (("input", inputs), ("target", targets)):
                self._rows(int(shard), name, rows, out[first:last])
        return indices

    def __getitems__(self, indices):
        """(input, target, index) for a batch, in ascending index order: tensors
        (B, 1, window), (B, 1, window), (B,)."""
        inputs = np.empty((len(indices), self.window), dtype=np.float32)
        targets = np.empty_like(inputs)
        indices = self.read(indices, inputs, targets)
        return (torch.from_numpy(inputs).unsqueeze(1), torch.from_numpy(targets).unsqueeze(1),
                torch.from_numpy(indices))

    def __getitem__(self, index):
        x, y, i = self.__getitems__([index])
        return x[0], y[0], i[0]

    def window_id(self, index: int) -> tuple[str, int]:
        """(piece id, offset) of a window, to trace it back to its piece."""
        shard = int(np.searchsorted(self.starts, index, side="right") - 1)
        h5 = self._file(shard)[0]
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
        self.epoch, self.skip = 0, 0
        if self._mine(np.arange(n_windows)).size < batch_size and drop_last:
            raise ValueError(f"batch_size: {n_windows} windows over {self.world} ranks make "
                             f"no batch of {batch_size}; lower batch_size or add pieces")

    def set_epoch(self, epoch: int, skip: int = 0) -> None:
        """Shuffle for ``epoch``; start at its batch ``skip`` (a resumed run)."""
        self.epoch, self.skip = epoch, skip

    def _mine(self, order):
        return order[self.rank::self.world]

    def __iter__(self):
        order = self._mine(np.random.default_rng([self.seed, self.epoch]).permutation(self.n))
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(self.skip * self.batch_size, stop, self.batch_size):
            yield order[start:start + self.batch_size].tolist()

    def __len__(self):
        n = len(self._mine(np.arange(self.n)))
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class _Ring:
    """Batch buffers in shared memory, made before the workers start (so every worker
    maps them) and lent to the consumer without a copy.

    A slot holds ``group`` batches. The tensors handed out for a slot are views of one
    numpy array whose death (the last view of any of its batches freed) puts the slot
    back on the free list, so a worker never overwrites a batch the consumer still
    holds; with no slot free, a request falls back to passing tensors through the
    queue (slower, never wrong).
    """

    def __init__(self, slots: int, group: int, batch_size: int, window: int):
        self.data = torch.empty(slots, group, 2, batch_size, window).share_memory_()
        self.slots = slots
        self.free, self.lent = collections.deque(range(slots)), set()
        self.fallbacks = 0

    def reset(self) -> None:
        """All slots not lent are free (a new pass: no request is in flight)."""
        self.free = collections.deque(s for s in range(self.slots) if s not in self.lent)

    def take(self) -> int | None:
        if self.free:
            return self.free.popleft()
        self.fallbacks += 1
        return None

    def lend(self, slot: int) -> torch.Tensor:
        """The slot as a tensor whose views keep the slot from reuse while alive."""
        owner = self.data[slot].numpy().view()
        self.lent.add(slot)
        weakref.finalize(owner, self._give_back, slot)
        return torch.from_numpy(owner)

    def _give_back(self, slot: int) -> None:
        self.lent.discard(slot)
        self.free.append(slot)


class _RingWriter(torch.utils.data.Dataset):
    """Worker side of ``WindowLoader``: reads a group of batches straight into a
    slot of the ring and returns only [(count, indices), ...]; with no slot
    (``None``), returns the batches themselves."""

    def __init__(self, windows: ShardWindows, ring: _Ring):
        self.windows, self.ring = windows, ring.data

    def __len__(self):
        return len(self.windows)

    def __getitems__(self, request):
        slot, batches = request
        if slot is None:
            return None, [self.windows.__getitems__(indices) for indices in batches]
        done = []
        for buffers, indices in zip(self.ring[slot], batches, strict=False):
            inputs, targets = buffers.numpy()
            # Indices as numpy: any tensor sent back costs a new shared-memory segment.
            done.append((len(indices), self.windows.read(indices, inputs, targets)))
        return slot, done


class _Slotted(torch.utils.data.Sampler):
    """Groups a sampler's batches ``group`` at a time, each group tagged with a free
    slot of the ring (or ``None``)."""

    def __init__(self, sampler: WindowBatches, ring: _Ring, group: int):
        self.sampler, self.ring, self.group = sampler, ring, group

    def __iter__(self):
        # Runs lazily: the DataLoader asks for the first group once the previous
        # pass's requests are drained, so no slot is still being written.
        self.ring.reset()
        batches = iter(self.sampler)
        while chunk := [b for _, b in zip(range(self.group), batches, strict=False)]:
            yield self.ring.take(), chunk

    def __len__(self):
        return -(-len(self.sampler) // self.group)


def _first(batch):
    return batch


class WindowLoader:
    """Batches (input, target, index) of a ``ShardWindows`` in ``WindowBatches`` order.

    With workers, each worker reads ``group`` batches per request into a slot of a
    ring of batch buffers in shared memory and sends back only indices: passing
    each 2 MB batch as a tensor through torch's queues costs about 2 ms here, and
    grouping spreads the per-request cost of the queues (bench/loader.py). The
    batches handed out are views of the ring (no copy; pinned copies on CUDA); a
    slot is reused only once all its batches have been freed (``_Ring``).
    """

    def __init__(self, windows: ShardWindows, sampler: WindowBatches, workers: int = 0,
                 prefetch: int = 2, group: int = 4):
        self.windows, self.sampler = windows, sampler
        self.pin = torch.cuda.is_available()
        self.loader = None
        if workers > 0:
            # In flight: workers * prefetch slots; the consumer holds the slot it
            # is reading and, while asking for the next, the previous one.
            self.ring = _Ring(workers * prefetch + 2, group, sampler.batch_size,
                              windows.window)
            self.loader = torch.utils.data.DataLoader(
                _RingWriter(windows, self.ring), num_workers=workers,
                batch_sampler=_Slotted(sampler, self.ring, group), collate_fn=_first,
                prefetch_factor=prefetch, persistent_workers=True)

    def __len__(self):
        return len(self.sampler)

    def _out(self, x, y, index):
        return (x.pin_memory(), y.pin_memory(), index) if self.pin else (x, y, index)

    def __iter__(self):
        if self.loader is None:
            for batch in self.sampler:
                yield self._out(*self.windows.__getitems__(batch))
            return
        for slot, done in self.loader:
            if slot is None:
                for batch in done:
                    yield self._out(*batch)
                continue
            buffers = self.ring.lend(slot)
            for position, (count, index) in enumerate(done):
                x, y = buffers[position, :, :count].unsqueeze(2)
                yield self._out(x, y, torch.from_numpy(index))
            del buffers  # the slot goes back once the consumer drops these batches


def window_loader(dataset, batch_size: int, seed: int, workers: int = 0, **sampler_args):
    sampler = WindowBatches(len(dataset), batch_size, seed, **sampler_args)
    return WindowLoader(dataset, sampler, workers), sampler
