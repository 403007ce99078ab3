import ArgumentParser
import Foundation

/// Opens a file the user named for output (`--out`, `--serial`), truncating
/// it in place: FileManager.createFile writes a new file and renames it over
/// the path, which would replace /dev/null or a FIFO with a regular file.
func openForWriting(_ path: String, option: String) throws -> FileHandle {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw ValidationError("\(option): cannot write '\(path)': \(String(cString: strerror(errno)))") }
    return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
}
