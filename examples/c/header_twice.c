/* The header survives double inclusion and compiles as C99 and C++ (see .ci/ffi-checks). */
#include "dmp.h"
#include "dmp.h"

#if !defined(DMP_VERSION_MAJOR) || !defined(DMP_VERSION_STRING) || !defined(DMP_API)
#error "version or export macros missing"
#endif

int main(void) {
    dmp_result r = DMP_ERR_NULL_ARGUMENT;
    return dmp_result_is_argument_error(r) && DMP_VERSION_NUMBER >= 0 ? 0 : 1;
}
