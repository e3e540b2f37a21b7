namespace Pipeline.Bench.Throughput;

/// <summary>
/// <see cref="DigestRewrite"/> as a <c>script</c> processor's source, for both engines: the same fields, the same
/// digest of the payload's UTF-8 bytes. The SHA-256 is written out in JavaScript (checked against node's crypto on
/// random strings, astral characters included) because an embedded engine has no crypto module.
/// </summary>
internal static class DigestRewriteScript
{
    public const string Source = """
        // SHA-256 (FIPS 180-4) in plain JavaScript: neither V8 embedded nor Jint has a crypto module. Its tables live in a
        // closure, not on the global object, whose properties engines look up more slowly.
        var sha256hex = (function () {
          var K = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2];
          var W = new Int32Array(64);
          // The message's words: reused and grown as needed, so an event allocates no typed array (memory outside the
          // engine's heap, which a V8 runtime's collector tracks apart).
          var M = new Int32Array(256);

          // Writes the string's UTF-8 bytes to M as big-endian 32-bit words, padded to whole 64-byte blocks with the bit
          // length at the end; returns how many words.
          function utf8Blocks(s) {
            var bytes = [];
            for (var i = 0; i < s.length; i++) {
              var c = s.charCodeAt(i);
              if (c < 0x80) {
                bytes.push(c);
              } else if (c < 0x800) {
                bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
              } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
                c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
                bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
              } else {
                bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
              }
            }
            var n = bytes.length;
            var length = (((n + 8) >> 6) + 1) << 4;
            if (M.length < length) {
              M = new Int32Array(length);
            }
            M.fill(0, 0, length);
            for (var j = 0; j < n; j++) {
              M[j >> 2] |= bytes[j] << (24 - (j & 3) * 8);
            }
            M[n >> 2] |= 0x80 << (24 - (n & 3) * 8);
            M[length - 1] = n * 8;
            return length;
          }

          return function (s) {
            var length = utf8Blocks(s);
            var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
            var h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
            for (var block = 0; block < length; block += 16) {
              for (var t = 0; t < 64; t++) {
                if (t < 16) {
                  W[t] = M[block + t];
                } else {
                  var x = W[t - 15], y = W[t - 2];
                  var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
                  var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
                  W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
                }
              }
              var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
              for (var r = 0; r < 64; r++) {
                var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
                var t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[r] + W[r]) | 0;
                var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
                var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
                h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
              }
              h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
              h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
            }
            var hex = "";
            var state = [h0, h1, h2, h3, h4, h5, h6, h7];
            for (var k = 0; k < 8; k++) {
              hex += ("0000000" + (state[k] >>> 0).toString(16)).slice(-8);
            }
            return hex;
          };
        })();

        function process(event, emit) {
          event.payload_sha256 = sha256hex(event.payload);
          event.user_email = event.user.email;
          delete event.user.email;
          event.processed = true;
          delete event.payload;
          emit(event);
        }
        """;
}
