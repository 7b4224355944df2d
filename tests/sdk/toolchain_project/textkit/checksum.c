#include "textkit.h"

uint32_t textkit_checksum(const void* data, uint32_t size) {
  const unsigned char* bytes = (const unsigned char*)data;
  uint32_t hash = 2166136261u;
  for (uint32_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 16777619u;
  }
  return hash;
}
