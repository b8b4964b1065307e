// libpq, PostgreSQL's C client (Debian: libpq-dev). Nothing is variadic, so no wrappers are needed:
// the header is included by its Debian path, which needs no include flag.
#ifndef WINNOW_CLIBPQ_SHIM_H
#define WINNOW_CLIBPQ_SHIM_H

#include <postgresql/libpq-fe.h>

#endif
