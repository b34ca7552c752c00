# Warning and sanitizer flags shared by every target of the project.
# mailprune_set_warnings(target): -Wall -Wextra and friends; errors when MAILPRUNE_WERROR is on.
add_library(mailprune_flags INTERFACE)
target_compile_options(mailprune_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wimplicit-fallthrough -Wformat=2)
if(MAILPRUNE_WERROR)
  target_compile_options(mailprune_flags INTERFACE -Werror)
endif()
if(MAILPRUNE_SANITIZE)
  target_compile_options(mailprune_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(mailprune_flags INTERFACE -fsanitize=address,undefined)
endif()
# Asio in Boost 1.74 uses std::exchange without including <utility> (awaitable.hpp).
target_compile_definitions(mailprune_flags INTERFACE BOOST_ASIO_NO_DEPRECATED)
