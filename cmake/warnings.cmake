# Warning and sanitizer flags shared by every target of the project.
# Every target links the interface target mailprune_flags: -Wall -Wextra and friends, errors when
# MAILPRUNE_WERROR is on (CI), sanitizers with MAILPRUNE_SANITIZE, fuzzing with MAILPRUNE_FUZZ.
add_library(mailprune_flags INTERFACE)
target_compile_options(mailprune_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2)
# (-Wnull-dereference is left out: with -O2, GCC 12 reports it inside libstdc++ for correct code.)
if(MAILPRUNE_WERROR)
  target_compile_options(mailprune_flags INTERFACE -Werror)
endif()
if(MAILPRUNE_SANITIZE)
  target_compile_options(mailprune_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(mailprune_flags INTERFACE -fsanitize=address,undefined)
endif()
if(MAILPRUNE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MAILPRUNE_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Coverage instrumentation for every library the fuzz targets link, plus ASan/UBSan.
  target_compile_options(mailprune_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(mailprune_flags INTERFACE -fsanitize=address,undefined)
endif()
# No deprecated Asio names. (Note: Boost 1.74's asio/awaitable.hpp uses std::exchange without
# including <utility>: include <utility> before any Asio header.)
target_compile_definitions(mailprune_flags INTERFACE BOOST_ASIO_NO_DEPRECATED)
