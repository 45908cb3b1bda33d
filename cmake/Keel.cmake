# Compiler flags and the helpers every module uses.

add_compile_options(-Wall -Wextra -Wno-unused-parameter -fno-strict-aliasing)
if(KEEL_WERROR)
  add_compile_options(-Werror)
endif()
# GCC 12 reports -Wrestrict for ordinary std::string concatenation at -O2/-O3, a false
# positive inside libstdc++ (GCC bug 105329, fixed in GCC 13).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  add_compile_options(-Wno-restrict)
endif()
if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  add_compile_definitions(KEEL_DEBUG=1)   # turns on KEEL_ASSERT and TestOnly hooks
endif()
if(KEEL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(KEEL_DEBUG=1)
endif()

# keel_add_library(<name> SOURCES ... [LIBS ...])
# One static library per module.
function(keel_add_library name)
  cmake_parse_arguments(L "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT L_SOURCES)  # a module whose sources are globbed and not written yet
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE ${L_LIBS})
    return()
  endif()
  add_library(${name} STATIC ${L_SOURCES})
  target_link_libraries(${name} PUBLIC ${L_LIBS})
endfunction()

# keel_add_test(<name> SOURCES ... [LIBS ...])
# A GoogleTest binary beside the code it tests; every TEST becomes one CTest test.
function(keel_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 30
                       PROPERTIES TIMEOUT 300)
endfunction()
