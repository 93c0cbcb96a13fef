# SPDX-License-Identifier: BSD-2-Clause
# The simulator's xenstore, a transport-free library the daemon embeds.
# Included by sim/CMakeLists.txt, and by tests/xenstore until that exists.
add_library(xensim_xenstore STATIC ${CMAKE_CURRENT_LIST_DIR}/xenstore.c)
target_include_directories(xensim_xenstore PUBLIC ${CMAKE_CURRENT_LIST_DIR})
