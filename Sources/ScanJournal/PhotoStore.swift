import Hashing
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// A release photo waiting to be kept with its event (a camera device, SPEC §4): the JPEG and the business day
/// whose folder it goes into. The journal's writer names it after the event's sequence number, which only it knows.
public struct PendingPhoto: Sendable, Hashable {
    public var jpeg: [UInt8]
    /// The station's business day of the scan, `YYYY-MM-DD`: `photos/<day>/`.
    public var day: String

    public init(jpeg: [UInt8], day: String) {
        self.jpeg = jpeg
        self.day = day
    }
}

/// What a kept photo looks like now, against the SHA-256 its event carries.
public enum PhotoState: Sendable, Hashable {
    case intact
    case missing
    /// The file's bytes are not the ones the event's hash names (replaced or edited), or it is not a regular file.
    case changed
    /// The file is there but cannot be read (no permission for this user, an I/O error of a failing card): `errno`.
    case unreadable(errno: Int32)
}

/// The release photos under `<data_dir>/photos/<YYYY-MM-DD>/<seq>.jpg` (SPEC §4): written and synced before their
/// event commits, checked by `verify`, removed after `photo_retention_days`.
public struct PhotoStore: Sendable {
    public let dataDirectory: String

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    /// `photos/<day>/<seq>.jpg`, relative to the data directory, as the event records it.
    public static func relativePath(day: String, seq: Int64) -> String { "photos/\(day)/\(seq).jpg" }

    /// Whether `day` is a `YYYY-MM-DD` folder name (nothing else is ever created or removed).
    static func isDayName(_ day: String) -> Bool {
        let bytes = Array(day.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
        return bytes.enumerated().allSatisfy { index, byte in index == 4 || index == 7 || (48...57).contains(byte) }
    }

    /// Writes `photo` as the photo of event `seq`: a temporary file, fsync, rename, fsync of the folder (created, and
    /// its parent synced, when it is the day's first). A photo a failed commit left under the same name is replaced.
    ///
    /// - Returns: the reference the event carries.
    /// - Throws: the errno and the step that failed (a full disk: `ENOSPC` at write or fsync).
    public func write(_ photo: PendingPhoto, seq: Int64) throws(PhotoWriteError) -> PhotoReference {
        guard Self.isDayName(photo.day) else { throw PhotoWriteError(path: photo.day, operation: "name the day folder", errno: EINVAL) }
        let photos = dataDirectory + "/photos"
        let folder = photos + "/" + photo.day
        try makeFolder(photos, parent: dataDirectory)
        try makeFolder(folder, parent: photos)
        let relative = Self.relativePath(day: photo.day, seq: seq)
        let target = dataDirectory + "/" + relative
        let temporary = target + ".partial"
        let fd = retryingInterrupts { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o640) }
        guard fd >= 0 else { throw PhotoWriteError(path: temporary, operation: "create", errno: errno) }
        var offset = 0
        while offset < photo.jpeg.count {
            let written = photo.jpeg.withUnsafeBytes { buffer in
                retryingInterrupts { Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset) }
            }
            guard written > 0 else {
                let code = written == 0 ? ENOSPC : errno
                close(fd)
                unlink(temporary)
                throw PhotoWriteError(path: temporary, operation: "write", errno: code)
            }
            offset += written
        }
        guard fsync(fd) == 0 else {
            let code = errno
            close(fd)
            unlink(temporary)
            throw PhotoWriteError(path: temporary, operation: "fsync", errno: code)
        }
        close(fd)
        guard rename(temporary, target) == 0 else {
            let code = errno
            unlink(temporary)
            throw PhotoWriteError(path: target, operation: "rename", errno: code)
        }
        try syncFolder(folder)
        return PhotoReference(path: relative, sha256: SHA256.hash(photo.jpeg))
    }

    /// Removes the photo a transaction wrote before its commit failed (best effort), so no file names an event
    /// that was never recorded; a retry writes it again.
    public func discard(_ reference: PhotoReference) {
        guard Self.day(of: reference) != nil else { return }
        unlink(dataDirectory + "/" + reference.path)
    }

    /// The day folder of a reference shaped as the writer makes them (`photos/<YYYY-MM-DD>/<seq>.jpg`), else nil.
    public static func day(of reference: PhotoReference) -> String? {
        let parts = reference.path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "photos", isDayName(String(parts[1])), parts[2].hasSuffix(".jpg") else { return nil }
        let number = parts[2].dropLast(4)
        guard !number.isEmpty, number.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return String(parts[1])
    }

    /// The photo of an event now: intact, missing, or changed. A reference not shaped as the writer makes them (a
    /// path leading elsewhere) is never followed: changed.
    public func state(of reference: PhotoReference) -> PhotoState {
        guard Self.day(of: reference) != nil else { return .changed }
        // A photo is a few hundred kB; 64 MB is far beyond any, far below what a planted /dev/zero would cost.
        switch SystemFile.read(dataDirectory + "/" + reference.path, limit: 64 << 20, options: .regularFileOnly) {
        case .success(let bytes): return SHA256.hash(bytes) == reference.sha256 ? .intact : .changed
        case .failure(let error):
            switch error.code {
            case ENOENT: return .missing
            case EACCES, EPERM, EIO: return .unreadable(errno: error.code)
            default: return .changed
            }
        }
    }

    /// Retention (SPEC §4): goes through the photos in the day folders named before `firstKept` (`YYYY-MM-DD`) and
    /// removes each that `expired(seq, path)` says is due, and leftover `.partial` files; a folder left empty goes
    /// too. The folder a photo is in is the day the clock showed when it was taken, which may be wrong (a box that
    /// booted without the time), so the caller judges each photo by its event. Only folders named as days are
    /// touched, and only `<digits>.jpg` and `.partial` files in them.
    ///
    /// - Returns: the photos removed.
    @discardableResult
    public func removeExpired(inDaysBefore firstKept: String, expired: (_ seq: Int64, _ path: String) -> Bool) -> Int {
        let photos = dataDirectory + "/photos"
        var removed = 0
        for day in Self.entries(of: photos) where Self.isDayName(day) && day < firstKept {
            let folder = photos + "/" + day
            for name in Self.entries(of: folder) {
                if name.hasSuffix(".partial") {
                    unlink(folder + "/" + name)
                } else if let seq = Self.seq(ofFileNamed: name), expired(seq, Self.relativePath(day: day, seq: seq)),
                    unlink(folder + "/" + name) == 0
                {
                    removed += 1
                }
            }
            rmdir(folder)
        }
        return removed
    }

    /// Removes every photo file no event names (`recorded`: the events' photo paths), and leftover `.partial`
    /// files: what a power cut between a photo's write and its event's commit leaves, so no file in `photos/` can
    /// be taken for the photo of an event it does not belong to. Only for the agent at start, before any camera
    /// scan, when no photo can be waiting for its commit.
    ///
    /// - Returns: the files removed.
    @discardableResult
    public func removeUnrecorded(recorded: Set<String>) -> Int {
        let photos = dataDirectory + "/photos"
        var removed = 0
        for day in Self.entries(of: photos) where Self.isDayName(day) {
            let folder = photos + "/" + day
            for name in Self.entries(of: folder) {
                let stray = name.hasSuffix(".partial")
                    || (Self.seq(ofFileNamed: name) != nil && !recorded.contains("photos/\(day)/\(name)"))
                if stray, unlink(folder + "/" + name) == 0 { removed += 1 }
            }
            rmdir(folder)
        }
        return removed
    }

    /// The seq of a file named `<digits>.jpg`, else nil.
    static func seq(ofFileNamed name: String) -> Int64? {
        guard name.hasSuffix(".jpg") else { return nil }
        let number = name.dropLast(4)
        guard !number.isEmpty, number.count <= 18, number.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int64(number)
    }

    /// The day folders present, oldest first.
    public var days: [String] { Self.entries(of: dataDirectory + "/photos").filter(Self.isDayName).sorted() }

    private static func entries(of directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = directoryEntryName(entry)
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private func makeFolder(_ path: String, parent: String) throws(PhotoWriteError) {
        if mkdir(path, 0o750) == 0 {
            try syncFolder(parent)
        } else if errno != EEXIST {
            throw PhotoWriteError(path: path, operation: "create the folder", errno: errno)
        }
    }

    private func syncFolder(_ path: String) throws(PhotoWriteError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw PhotoWriteError(path: path, operation: "open the folder", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 || errno == EINVAL else { throw PhotoWriteError(path: path, operation: "fsync the folder", errno: errno) }
    }
}

/// A release photo that could not be written: the event commits without it, and the log says so.
public struct PhotoWriteError: Error, Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let errno: Int32

    public var description: String {
        let advice = errno == ENOSPC ? ": the disk is full; free space (old photos: lower photo_retention_days)" : ""
        return "cannot \(operation) \(path): \(SystemErrno(errno))\(advice)"
    }
}
