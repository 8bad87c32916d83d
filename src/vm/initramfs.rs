//! A writer for the kernel's initramfs format: a cpio archive in the "newc" variant
//! (magic `070701`, every header field eight hex digits), as read by the kernel's
//! `init/initramfs.c`. Uncompressed on purpose: the kernel unpacks it without a decompressor and
//! the host needs no compression tool.

use std::io::{self, Write};

/// Regular file, directory and symlink type bits of `st_mode` (`S_IFREG`, `S_IFDIR`, `S_IFLNK`).
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// Streams entries into `out`; call [`CpioWriter::finish`] to write the trailer.
pub struct CpioWriter<W: Write> {
    out: W,
    next_ino: u32,
    written: u64,
}

impl<W: Write> CpioWriter<W> {
    pub fn new(out: W) -> Self {
        // Inode 0 is avoided: some readers treat it as "no inode".
        Self {
            out,
            next_ino: 1,
            written: 0,
        }
    }

    /// A directory; parents must come first (the kernel does not create them).
    pub fn dir(&mut self, path: &str, perm: u32) -> io::Result<()> {
        self.entry(path, S_IFDIR | perm, 2, b"")
    }

    pub fn file(&mut self, path: &str, perm: u32, data: &[u8]) -> io::Result<()> {
        self.entry(path, S_IFREG | perm, 1, data)
    }

    /// A symbolic link; the archive stores the target as the entry's data.
    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.entry(path, S_IFLNK | 0o777, 1, target.as_bytes())
    }

    /// Write the `TRAILER!!!` entry and return the sink and the archive's size in bytes.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.header("TRAILER!!!", 0, 0, 1, 0)?;
        self.out.flush()?;
        Ok((self.out, self.written))
    }

    fn entry(&mut self, path: &str, mode: u32, nlink: u32, data: &[u8]) -> io::Result<()> {
        // Names are stored without a leading slash, as `find . | cpio` would after `./`.
        let name = path.trim_start_matches('/');
        let size = u32::try_from(data.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{path}: newc cannot hold files of 4 GiB or more"),
            )
        })?;
        let ino = self.next_ino;
        self.next_ino += 1;
        self.header(name, ino, mode, nlink, size)?;
        self.put(data)?;
        self.pad()
    }

    fn header(&mut self, name: &str, ino: u32, mode: u32, nlink: u32, size: u32) -> io::Result<()> {
        let namesize = name.len() as u32 + 1;
        // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
        // mtime 0 keeps the archive reproducible.
        let fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, namesize, 0];
        let mut header = String::with_capacity(110);
        header.push_str("070701");
        for field in fields {
            header.push_str(&format!("{field:08X}"));
        }
        self.put(header.as_bytes())?;
        self.put(name.as_bytes())?;
        self.put(&[0])?;
        self.pad()
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Header+name and data are each padded to a multiple of four bytes.
    fn pad(&mut self) -> io::Result<()> {
        let rem = (self.written % 4) as usize;
        if rem != 0 {
            self.put(&[0; 4][..4 - rem])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One file `a` holding "hi", then the trailer, laid out by hand from the newc description in
    /// the kernel's Documentation/driver-api/early-userspace/buffer-format.rst. (The kernel
    /// itself reading this writer's archives is tested by tests/vm.rs.)
    #[test]
    fn one_file_archive_bytes() {
        let mut w = CpioWriter::new(Vec::new());
        w.file("/a", 0o644, b"hi").expect("write to Vec");
        let (bytes, size) = w.finish().expect("write to Vec");
        let mut expected = Vec::new();
        expected.extend_from_slice(b"070701");
        expected.extend_from_slice(b"00000001"); // ino
        expected.extend_from_slice(b"000081A4"); // mode: S_IFREG | 0644
        expected.extend_from_slice(b"00000000"); // uid
        expected.extend_from_slice(b"00000000"); // gid
        expected.extend_from_slice(b"00000001"); // nlink
        expected.extend_from_slice(b"00000000"); // mtime
        expected.extend_from_slice(b"00000002"); // filesize
        expected.extend_from_slice(b"0000000000000000000000000000000000000002"); // dev*, rdev*, ..
        expected.extend_from_slice(b"00000000"); // check
        assert_eq!(expected.len(), 110); // 6 magic + 13 fields of 8 hex digits
        expected.extend_from_slice(b"a\0"); // 112 bytes: already aligned
        expected.extend_from_slice(b"hi\0\0"); // data padded to 116
        let trailer_start = expected.len();
        expected.extend_from_slice(b"070701");
        expected.extend_from_slice(b"00000000000000000000000000000000000000010000000000000000");
        expected.extend_from_slice(b"00000000000000000000000000000000");
        expected.extend_from_slice(b"0000000B00000000"); // namesize 11, check
        expected.extend_from_slice(b"TRAILER!!!\0"); // 110 + 11 = 121, padded to 124
        expected.extend_from_slice(&[0; 3]);
        assert_eq!(expected.len() - trailer_start, 124);
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            String::from_utf8_lossy(&expected)
        );
        assert_eq!(size, bytes.len() as u64);
    }

    #[test]
    fn symlink_stores_target_as_data_and_entries_stay_aligned() {
        let mut w = CpioWriter::new(Vec::new());
        w.dir("bin", 0o755).expect("write to Vec");
        w.symlink("bin/sh", "busybox").expect("write to Vec");
        let (bytes, _) = w.finish().expect("write to Vec");
        assert_eq!(bytes.len() % 4, 0);
        let text = String::from_utf8_lossy(&bytes);
        // S_IFLNK | 0777, then the seven-byte target right after the padded name.
        assert!(text.contains("0000A1FF"));
        assert!(text.contains("bin/sh\0\0\0\0busybox")); // name NUL, padded to 4
        assert!(text.contains("000041ED")); // S_IFDIR | 0755
    }
}
