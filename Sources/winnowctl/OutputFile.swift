import CZlib
import Foundation

/// Where a command writes its lines: standard output, or a file written beside its final name and
/// renamed into place when complete (a reader never sees half an export), gzip-compressed when the
/// name ends in `.gz`. Writes are buffered in 1 MB blocks.
final class OutputFile {
    let path: String?
    private let temporaryPath: String?
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var gzip: GzipStream?
    private(set) var bytesWritten = 0

    /// Opens standard output (`path` nil or "-") or a temporary file beside `path`.
    init(path: String?) throws {
        buffer.reserveCapacity(1 << 20)
        guard let path, path != "-" else {
            self.path = nil
            temporaryPath = nil
            fd = STDOUT_FILENO
            return
        }
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = (folder.isEmpty ? "." : folder) + "/." + (path as NSString).lastPathComponent + ".\(getpid()).partial"
        let opened = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard opened >= 0 else {
            throw CLIError(.ioError, "cannot write \(path): \(String(cString: strerror(errno))); check that its folder exists and is writable, or choose another --output")
        }
        temporaryPath = temporary
        fd = opened
        if path.hasSuffix(".gz") { gzip = try GzipStream(path: path) }
    }

    func write(_ line: String) throws {
        buffer.append(contentsOf: line.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes what is buffered (compressed, for a .gz file).
    func flush() throws {
        guard !buffer.isEmpty else { return }
        if let gzip {
            try writeAll(try gzip.compress(buffer, finish: false))
        } else {
            try writeAll(buffer)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, ends the gzip stream, and moves the file to its name.
    func finish() throws {
        try flush()
        if let gzip { try writeAll(try gzip.compress([], finish: true)) }
        guard let path, let temporaryPath else { return }
        guard fsync(fd) == 0, close(fd) == 0, rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw CLIError(.ioError, "cannot write \(path): \(reason)")
        }
    }

    /// Removes the unfinished file (an export that failed leaves nothing behind).
    func abandon() {
        guard let temporaryPath else { return }
        close(fd)
        unlink(temporaryPath)
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw CLIError(.ioError, "cannot write \(path ?? "standard output"): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        bytesWritten += bytes.count
    }
}

/// A gzip stream over zlib's deflate; owns the z_stream and ends it in deinit.
final class GzipStream {
    private var stream = z_stream()
    private let path: String

    init(path: String, level: Int32 = 1) throws {
        self.path = path
        guard winnow_deflate_init_gzip(&stream, level) == Z_OK else {
            throw CLIError(.software, "cannot start gzip compression for \(path)")
        }
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `input`; with `finish`, also writes the stream's trailer.
    func compress(_ input: [UInt8], finish: Bool) throws -> [UInt8] {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        var input = input
        try input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            while true {
                let (code, produced) = chunk.withUnsafeMutableBufferPointer { target -> (Int32, Int) in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    let code = deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
                    return (code, target.count - Int(stream.avail_out))
                }
                guard code == Z_OK || code == Z_STREAM_END || code == Z_BUF_ERROR else {
                    throw CLIError(.software, "gzip compression failed for \(path) (zlib code \(code))")
                }
                output.append(contentsOf: chunk[0..<produced])
                if finish ? code == Z_STREAM_END : (stream.avail_in == 0 && produced < chunk.count) { break }
            }
        }
        return output
    }
}
