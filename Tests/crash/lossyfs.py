#!/usr/bin/python3
"""lossyfs: a FUSE file system that forgets, on command, everything that was not made durable.

Usage: lossyfs.py STORE MOUNTPOINT STATUSFILE   (as root; runs until SIGTERM)

It keeps two states of one tree:
  - the live state, which every call sees (as a page cache would): names in memory, file data in
    STORE/live/<inode>;
  - the durable state, what a disk would still hold after a power cut: for every directory, the
    entries it had at its last fsync; for every file, the data and size it had at its last fsync or
    fdatasync, in STORE/durable/<inode> (absent: empty).
fsync of a file copies the ranges written (and the truncations made) since its previous fsync from
live to durable; fsync of a directory makes its current entries (create, mkdir, rename in or out,
unlink, rmdir) its durable entries. Nothing else is ever durable.

SIGUSR1 is a power cut: the live state is thrown away and rebuilt from the durable one (the tree of
durable entries from the root, each file with its durable data); every surviving inode gets a new
number, so the kernel's caches of the old ones cannot show undurable data. The caller kills the
processes using the mount first, as a power cut would. Each finished cut appends a line to STATUSFILE
("cut N: ..." with what was dropped); "mounted" is its first line. SIGTERM unmounts and exits.

Limits of the model (see docs/reliability.md): a cut drops all undurable writes (a real disk may keep
any subset of them, torn at sector size: not modelled); modes, owners and times count as durable at
once; a file's entry becomes durable only by an fsync of its directory (as POSIX says; ext4 and XFS
are kinder); a name that was renamed with only one of its two directories fsynced may survive under
both names (a hard link). Symbolic links, special files and extended attributes are refused.
"""

from __future__ import annotations

import errno
import itertools
import os
import signal
import stat
import sys
import time

import pyfuse3
import trio

ROOT = pyfuse3.ROOT_INODE


class Node:
    __slots__ = ("kind", "mode", "uid", "gid", "nlink", "entries", "durable_entries", "dirty", "truncated_to",
                 "opened", "mtime_ns", "ctime_ns")

    def __init__(self, kind: str, mode: int, uid: int, gid: int):
        self.kind, self.mode, self.uid, self.gid = kind, mode, uid, gid
        self.nlink = 0
        self.entries: dict[bytes, int] = {}          # directories: the live entries
        self.durable_entries: dict[bytes, int] = {}  # directories: the entries at the last fsync
        self.dirty: list[tuple[int, int]] = []      # files: byte ranges written since the last fsync
        self.truncated_to: int | None = None         # files: the smallest size truncated to since then
        self.opened = 0
        self.mtime_ns = self.ctime_ns = time.time_ns()

    @property
    def is_dir(self) -> bool:
        return self.kind == "dir"


class LossyFS(pyfuse3.Operations):
    def __init__(self, store: str):
        super().__init__()
        self.live_dir = os.path.join(store, "live")
        self.durable_dir = os.path.join(store, "durable")
        for d in (self.live_dir, self.durable_dir):
            os.makedirs(d, exist_ok=True)
            if os.listdir(d):
                raise SystemExit(f"lossyfs: {d} is not empty (start from an empty store)")
        self.ids = itertools.count(ROOT + 1)
        root = Node("dir", stat.S_IFDIR | 0o755, 0, 0)
        root.nlink = 1
        self.nodes: dict[int, Node] = {ROOT: root}
        self.handles: dict[int, tuple[int, int]] = {}  # fh -> (os fd, inode)
        self.dir_handles: dict[int, list[tuple[bytes, int]]] = {}
        self.fh_ids = itertools.count(1)
        self.cuts = 0
        self.fsyncs = self.dir_fsyncs = 0

    # --- helpers -------------------------------------------------------------------------------
    def live_path(self, ino: int) -> str:
        return os.path.join(self.live_dir, str(ino))

    def durable_path(self, ino: int) -> str:
        return os.path.join(self.durable_dir, str(ino))

    def node(self, ino: int) -> Node:
        n = self.nodes.get(ino)
        if n is None:
            raise pyfuse3.FUSEError(errno.ESTALE)
        return n

    def dir_node(self, ino: int) -> Node:
        n = self.node(ino)
        if not n.is_dir:
            raise pyfuse3.FUSEError(errno.ENOTDIR)
        return n

    def attrs(self, ino: int) -> pyfuse3.EntryAttributes:
        n = self.node(ino)
        a = pyfuse3.EntryAttributes()
        a.st_ino = ino
        a.generation = 0
        a.entry_timeout = 0
        a.attr_timeout = 0
        a.st_mode = n.mode
        a.st_uid, a.st_gid = n.uid, n.gid
        a.st_blksize = 4096
        if n.is_dir:
            a.st_nlink = 2 + sum(1 for c in n.entries.values() if self.nodes[c].is_dir)
            a.st_size = 4096
            a.st_mtime_ns = n.mtime_ns
            a.st_ctime_ns = n.ctime_ns
            a.st_atime_ns = n.mtime_ns
        else:
            a.st_nlink = n.nlink
            try:
                st = os.stat(self.live_path(ino))
                a.st_size, a.st_blocks = st.st_size, st.st_blocks
                a.st_mtime_ns, a.st_atime_ns = st.st_mtime_ns, st.st_atime_ns
            except FileNotFoundError:  # unlinked and closed
                a.st_size, a.st_blocks, a.st_mtime_ns, a.st_atime_ns = 0, 0, n.mtime_ns, n.mtime_ns
            a.st_ctime_ns = n.ctime_ns
        return a

    def new_node(self, kind: str, mode: int, ctx) -> int:
        ino = next(self.ids)
        self.nodes[ino] = Node(kind, mode, ctx.uid, ctx.gid)
        return ino

    def link_into(self, parent: Node, name: bytes, ino: int):
        parent.entries[name] = ino
        parent.mtime_ns = parent.ctime_ns = time.time_ns()
        self.nodes[ino].nlink += 1

    def drop_name(self, parent: Node, name: bytes):
        ino = parent.entries.pop(name)
        parent.mtime_ns = parent.ctime_ns = time.time_ns()
        n = self.nodes[ino]
        n.nlink -= 1
        self.maybe_free(ino)

    def maybe_free(self, ino: int):
        """An unlinked, closed file's live data is gone (its durable copy stays until the next cut)."""
        n = self.nodes.get(ino)
        if n is not None and not n.is_dir and n.nlink <= 0 and n.opened <= 0:
            try:
                os.unlink(self.live_path(ino))
            except FileNotFoundError:
                pass

    # --- names ---------------------------------------------------------------------------------
    async def lookup(self, parent_inode, name, ctx=None):
        parent = self.dir_node(parent_inode)
        if name == b".":
            return self.attrs(parent_inode)
        ino = parent.entries.get(name)
        if ino is None:
            raise pyfuse3.FUSEError(errno.ENOENT)
        return self.attrs(ino)

    async def getattr(self, inode, ctx=None):
        return self.attrs(inode)

    async def setattr(self, inode, attr, fields, fh, ctx):
        n = self.node(inode)
        if fields.update_size:
            if n.is_dir:
                raise pyfuse3.FUSEError(errno.EISDIR)
            os.truncate(self.live_path(inode), attr.st_size)
            n.truncated_to = attr.st_size if n.truncated_to is None else min(n.truncated_to, attr.st_size)
        if fields.update_mode:
            n.mode = (n.mode & stat.S_IFMT(n.mode)) | stat.S_IMODE(attr.st_mode)
        if fields.update_uid:
            n.uid = attr.st_uid
        if fields.update_gid:
            n.gid = attr.st_gid
        if not n.is_dir and (fields.update_mtime or fields.update_atime):
            try:
                st = os.stat(self.live_path(inode))
                os.utime(self.live_path(inode), ns=(attr.st_atime_ns if fields.update_atime else st.st_atime_ns,
                                                     attr.st_mtime_ns if fields.update_mtime else st.st_mtime_ns))
            except FileNotFoundError:
                pass
        elif fields.update_mtime:
            n.mtime_ns = attr.st_mtime_ns
        n.ctime_ns = time.time_ns()
        return self.attrs(inode)

    async def mkdir(self, parent_inode, name, mode, ctx):
        parent = self.dir_node(parent_inode)
        if name in parent.entries:
            raise pyfuse3.FUSEError(errno.EEXIST)
        ino = self.new_node("dir", stat.S_IFDIR | stat.S_IMODE(mode), ctx)
        self.link_into(parent, name, ino)
        return self.attrs(ino)

    async def create(self, parent_inode, name, mode, flags, ctx):
        parent = self.dir_node(parent_inode)
        ino = parent.entries.get(name)
        if ino is not None:
            if flags & os.O_EXCL:
                raise pyfuse3.FUSEError(errno.EEXIST)
            return await self.open(ino, flags, ctx), self.attrs(ino)
        ino = self.new_node("file", stat.S_IFREG | stat.S_IMODE(mode), ctx)
        open(self.live_path(ino), "wb").close()
        self.link_into(parent, name, ino)
        return await self.open(ino, flags & ~(os.O_CREAT | os.O_EXCL | os.O_TRUNC), ctx), self.attrs(ino)

    async def mknod(self, parent_inode, name, mode, rdev, ctx):
        if not stat.S_ISREG(mode):
            raise pyfuse3.FUSEError(errno.EPERM)
        info, attrs = await self.create(parent_inode, name, mode, os.O_EXCL, ctx)
        await self.release(info.fh)
        return attrs

    async def symlink(self, parent_inode, name, target, ctx):
        raise pyfuse3.FUSEError(errno.EPERM)

    async def link(self, inode, new_parent_inode, new_name, ctx):
        n = self.node(inode)
        parent = self.dir_node(new_parent_inode)
        if n.is_dir:
            raise pyfuse3.FUSEError(errno.EPERM)
        if new_name in parent.entries:
            raise pyfuse3.FUSEError(errno.EEXIST)
        self.link_into(parent, new_name, inode)
        n.ctime_ns = time.time_ns()
        return self.attrs(inode)

    async def unlink(self, parent_inode, name, ctx):
        parent = self.dir_node(parent_inode)
        ino = parent.entries.get(name)
        if ino is None:
            raise pyfuse3.FUSEError(errno.ENOENT)
        if self.nodes[ino].is_dir:
            raise pyfuse3.FUSEError(errno.EISDIR)
        self.drop_name(parent, name)

    async def rmdir(self, parent_inode, name, ctx):
        parent = self.dir_node(parent_inode)
        ino = parent.entries.get(name)
        if ino is None:
            raise pyfuse3.FUSEError(errno.ENOENT)
        n = self.nodes[ino]
        if not n.is_dir:
            raise pyfuse3.FUSEError(errno.ENOTDIR)
        if n.entries:
            raise pyfuse3.FUSEError(errno.ENOTEMPTY)
        self.drop_name(parent, name)

    async def rename(self, parent_inode_old, name_old, parent_inode_new, name_new, flags, ctx):
        old, new = self.dir_node(parent_inode_old), self.dir_node(parent_inode_new)
        ino = old.entries.get(name_old)
        if ino is None:
            raise pyfuse3.FUSEError(errno.ENOENT)
        target = new.entries.get(name_new)
        if flags & pyfuse3.RENAME_EXCHANGE:
            if target is None:
                raise pyfuse3.FUSEError(errno.ENOENT)
            old.entries[name_old], new.entries[name_new] = target, ino
            old.mtime_ns = new.mtime_ns = time.time_ns()
            return
        if target is not None:
            if flags & pyfuse3.RENAME_NOREPLACE:
                raise pyfuse3.FUSEError(errno.EEXIST)
            if target == ino:
                return
            t, n = self.nodes[target], self.nodes[ino]
            if t.is_dir and not n.is_dir:
                raise pyfuse3.FUSEError(errno.EISDIR)
            if n.is_dir and not t.is_dir:
                raise pyfuse3.FUSEError(errno.ENOTDIR)
            if t.is_dir and t.entries:
                raise pyfuse3.FUSEError(errno.ENOTEMPTY)
            self.drop_name(new, name_new)
        del old.entries[name_old]
        self.nodes[ino].nlink -= 1
        old.mtime_ns = old.ctime_ns = time.time_ns()
        self.link_into(new, name_new, ino)

    # --- files ---------------------------------------------------------------------------------
    async def open(self, inode, flags, ctx):
        n = self.node(inode)
        if n.is_dir:
            raise pyfuse3.FUSEError(errno.EISDIR)
        fd = os.open(self.live_path(inode), os.O_RDWR | os.O_CLOEXEC)
        if flags & os.O_TRUNC:
            os.ftruncate(fd, 0)
            n.truncated_to = 0
        fh = next(self.fh_ids)
        self.handles[fh] = (fd, inode)
        n.opened += 1
        return pyfuse3.FileInfo(fh=fh, keep_cache=False)

    async def read(self, fh, off, size):
        return os.pread(self.handles[fh][0], size, off)

    async def write(self, fh, off, buf):
        fd, ino = self.handles[fh]
        written = os.pwrite(fd, buf, off)
        n = self.nodes.get(ino)
        if n is not None and written:
            n.dirty.append((off, off + written))
        return written

    async def flush(self, fh):
        pass

    async def release(self, fh):
        fd, ino = self.handles.pop(fh)
        os.close(fd)
        n = self.nodes.get(ino)
        if n is not None:
            n.opened -= 1
            self.maybe_free(ino)

    async def fsync(self, fh, datasync):
        _, ino = self.handles[fh]
        n = self.nodes.get(ino)
        if n is not None:
            self.make_data_durable(ino, n)

    def make_data_durable(self, ino: int, n: Node):
        """The file's data and size as they are now become its durable data and size."""
        self.fsyncs += 1
        try:
            src = os.open(self.live_path(ino), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return
        dst = os.open(self.durable_path(ino), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            size = os.fstat(src).st_size
            if n.truncated_to is not None:
                os.ftruncate(dst, min(n.truncated_to, os.fstat(dst).st_size))
            for start, end in merge(n.dirty):
                end = min(end, size)
                while start < end:
                    chunk = os.pread(src, min(end - start, 1 << 20), start)
                    if not chunk:
                        break
                    os.pwrite(dst, chunk, start)
                    start += len(chunk)
            os.ftruncate(dst, size)
        finally:
            os.close(src)
            os.close(dst)
        n.dirty.clear()
        n.truncated_to = None

    # --- directories ---------------------------------------------------------------------------
    async def opendir(self, inode, ctx):
        n = self.dir_node(inode)
        fh = next(self.fh_ids)
        self.dir_handles[fh] = [(inode, None)] + sorted(n.entries.items())  # first: the directory itself
        return fh

    async def readdir(self, fh, start_id, token):
        listing = self.dir_handles[fh]
        for i in range(max(start_id, 1), len(listing)):
            name, ino = listing[i]
            if ino not in self.nodes:
                continue
            if not pyfuse3.readdir_reply(token, name, self.attrs(ino), i + 1):
                break

    async def releasedir(self, fh):
        self.dir_handles.pop(fh, None)

    async def fsyncdir(self, fh, datasync):
        ino = self.dir_handles[fh][0][0]
        n = self.nodes.get(ino)
        if n is not None:
            self.dir_fsyncs += 1
            n.durable_entries = dict(n.entries)

    async def statfs(self, ctx):
        st = os.statvfs(self.live_dir)
        s = pyfuse3.StatvfsData()
        s.f_bsize, s.f_frsize = st.f_bsize, st.f_frsize
        s.f_blocks, s.f_bfree, s.f_bavail = st.f_blocks, st.f_bfree, st.f_bavail
        s.f_files, s.f_ffree, s.f_favail = st.f_files, st.f_ffree, st.f_favail
        s.f_namemax = 255
        return s

    async def forget(self, inode_list):
        pass  # nodes live until the next cut

    # --- the power cut -------------------------------------------------------------------------
    def power_cut(self) -> str:
        """Rebuilds the live state from the durable one, under new inode numbers; returns a summary."""
        old = self.nodes
        lost_entries = sum(len(set(n.entries.items()) ^ set(n.durable_entries.items())) for n in old.values() if n.is_dir)
        lost_data = sum(1 for n in old.values() if not n.is_dir and (n.dirty or n.truncated_to is not None))
        mapping = {ROOT: ROOT}
        fresh: dict[int, Node] = {}
        root = Node("dir", old[ROOT].mode, old[ROOT].uid, old[ROOT].gid)
        root.nlink = 1
        fresh[ROOT] = root
        queue = [ROOT]
        while queue:
            d = queue.pop()
            for name, child in sorted(old[d].durable_entries.items()):
                c = old[child]
                if child in mapping:
                    if c.is_dir:
                        continue  # a directory durably in two places: keep the first
                else:
                    mapping[child] = next(self.ids)
                    fresh[mapping[child]] = Node(c.kind, c.mode, c.uid, c.gid)
                    if c.is_dir:
                        queue.append(child)
                fresh[mapping[d]].entries[name] = mapping[child]
                fresh[mapping[child]].nlink += 1
        for n in fresh.values():
            n.durable_entries = dict(n.entries)
        # Data: durable/<old> becomes durable/<new> and live/<new> a copy of it; everything else goes.
        for f in os.listdir(self.live_dir):
            os.unlink(os.path.join(self.live_dir, f))
        files = 0
        for o, new in mapping.items():
            if fresh[new].is_dir:
                continue
            files += 1
            if os.path.exists(self.durable_path(o)):
                os.rename(self.durable_path(o), self.durable_path(new))
                with open(self.durable_path(new), "rb") as src, open(self.live_path(new), "wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
            else:
                open(self.live_path(new), "wb").close()
        keep = {str(i) for i in fresh}
        for f in os.listdir(self.durable_dir):
            if f not in keep:
                os.unlink(os.path.join(self.durable_dir, f))
        self.nodes = fresh
        self.cuts += 1
        return (f"cut {self.cuts}: {files} files and {len(fresh) - files} directories survive; dropped "
                f"{lost_entries} undurable directory entries and the undurable data of {lost_data} files; "
                f"fsyncs so far {self.fsyncs}, directory fsyncs {self.dir_fsyncs}")


def merge(ranges):
    out: list[list[int]] = []
    for s, e in sorted(ranges):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


async def serve(fs: LossyFS, status: str):
    async def control():
        with trio.open_signal_receiver(signal.SIGUSR1, signal.SIGTERM, signal.SIGINT) as signals:
            async for sig in signals:
                if sig == signal.SIGUSR1:
                    line = fs.power_cut()  # no await inside: atomic with respect to file system calls
                    with open(status, "a") as f:
                        f.write(line + "\n")
                else:
                    pyfuse3.terminate()
                    return

    async with trio.open_nursery() as nursery:
        nursery.start_soon(control)
        with open(status, "a") as f:
            f.write("mounted\n")
        await pyfuse3.main()
        nursery.cancel_scope.cancel()


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    store, mountpoint, status = sys.argv[1:]
    fs = LossyFS(store)
    options = set(pyfuse3.default_options)
    options.add("fsname=lossyfs")
    pyfuse3.init(fs, mountpoint, options)
    try:
        trio.run(serve, fs, status)
    finally:
        pyfuse3.close(unmount=True)


if __name__ == "__main__":
    main()
