# Cross build for 64-bit ARM Linux (aarch64) with Debian's cross gcc:
#   apt-get install gcc-aarch64-linux-gnu qemu-user-static
#   cmake -S native -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=native/toolchains/aarch64-linux-gnu.cmake
# Test programs run through qemu-user (CMAKE_CROSSCOMPILING_EMULATOR, used by ctest);
# "-cpu max" enables every optional ISA feature (dotprod, i8mm, ...) so those paths run too.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${CROSS_TRIPLE}-g++)
set(CMAKE_FIND_ROOT_PATH /usr/${CROSS_TRIPLE})

set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static;-cpu;max;-L;/usr/${CROSS_TRIPLE})

# Programs (compilers, tools) come from the host; libraries and headers from the target root.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
