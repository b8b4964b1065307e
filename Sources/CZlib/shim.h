// Typed wrappers for zlib's function-like macros, which Swift cannot call directly.
#ifndef WINNOW_CZLIB_SHIM_H
#define WINNOW_CZLIB_SHIM_H

#include <zlib.h>

/// deflateInit2 writing a gzip stream (window bits 15 + 16) rather than a bare zlib one.
static inline int winnow_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// inflateInit2 reading gzip (and zlib) streams, for tests that read what was written.
static inline int winnow_inflate_init_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 32);
}

#endif
