// Prints what libstdc++'s std::sort makes of ggml's descending argsort on inputs full of ties, as test vectors for
// the engine's ArgSort (tests/Parity.Engine.Tests/Kernels/ArgSortTests.cs). Build and run:
//   g++ -O2 -o /tmp/argsort scripts/oracles/std-sort-argsort.cpp && /tmp/argsort > tests/Parity.Engine.Tests/Kernels/argsort-vectors.txt
// Each line: n levels seed : the sorted indices. Values are drawn from `levels` distinct floats so ties are frequent.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

static uint32_t next(uint32_t & state) {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
}

int main() {
    const int sizes[] = {2, 5, 16, 17, 33, 64, 128, 160, 256};
    const int levels[] = {2, 3, 7, 1000000};
    for (int n : sizes) {
        for (int l : levels) {
            for (uint32_t seed = 1; seed <= 3; seed++) {
                uint32_t state = seed * 7919u + (uint32_t)n * 131u + (uint32_t)l;
                std::vector<float> v(n);
                for (int i = 0; i < n; i++) {
                    v[i] = (float)(next(state) % (uint32_t)l) / (float)l;
                }
                std::vector<int32_t> idx(n);
                for (int i = 0; i < n; i++) idx[i] = i;
                std::sort(idx.begin(), idx.end(), [&v](int32_t a, int32_t b) { return v[a] > v[b]; });
                std::printf("%d %d %u :", n, l, seed);
                for (int i = 0; i < n; i++) std::printf(" %d", idx[i]);
                std::printf("\n");
            }
        }
    }
    return 0;
}
