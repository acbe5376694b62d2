# Cross build for 32-bit ARM Linux (ARMv7-A, hard float, NEON) with Debian's cross gcc:
#   apt-get install gcc-arm-linux-gnueabihf qemu-user-static
#   cmake -S native -B build/armv7 -DCMAKE_TOOLCHAIN_FILE=native/toolchains/arm-linux-gnueabihf.cmake
# Matches Android's armeabi-v7a baseline (ARMv7-A with NEON, VFPv3-D32+ in practice).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7-a)

set(CROSS_TRIPLE arm-linux-gnueabihf)
set(CMAKE_C_COMPILER ${CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${CROSS_TRIPLE}-g++)
set(CMAKE_FIND_ROOT_PATH /usr/${CROSS_TRIPLE})
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=neon -mfloat-abi=hard")

set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm-static;-L;/usr/${CROSS_TRIPLE})

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
