// Debian's libgomp is not built with -fsanitize=thread, so TSan cannot see that
// a parallel region's fork and join order its iterations with the code before
// and after it. In a TSan build a region states those edges itself
// (docs/reliability.md): tsan_release(&fork) before it and tsan_acquire(&fork)
// first in each iteration; tsan_release(&join) last in each iteration and
// tsan_acquire(&join) after it. Elsewhere both are no-ops.
#pragma once

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace binserve {

inline void tsan_release([[maybe_unused]] void* sync) {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(sync);
#endif
}

inline void tsan_acquire([[maybe_unused]] void* sync) {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(sync);
#endif
}

}  // namespace binserve
