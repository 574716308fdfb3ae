#ifndef STATION_AGENT_SA_ZXING_H
#define STATION_AGENT_SA_ZXING_H
/* The barcode reader of the camera release device: ZXing-C++ 1.4 (Debian's libzxing-dev) behind plain C
   functions, so Swift sees no C++ and no C++ exception leaves this target. */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes kept of one symbol's text, NUL included: a longer text is cut and `text_truncated` set. */
#define SA_ZXING_TEXT_CAPACITY 512
/* Bytes kept of a format name ("Code128", "EAN-13", "QRCode", ...), NUL included. */
#define SA_ZXING_FORMAT_CAPACITY 32
/* Bytes of an error message, NUL included. */
#define SA_ZXING_MESSAGE_CAPACITY 256

/* One symbol found in a frame. */
typedef struct sa_zxing_result {
    /* The decoded text, UTF-8, NUL-terminated; `text_length` bytes of it are the text (a NUL inside a symbol's
       data is kept: use the length, not strlen). */
    char text[SA_ZXING_TEXT_CAPACITY];
    int32_t text_length;
    /* 1 when the symbol's text was longer than the buffer and was cut. */
    int32_t text_truncated;
    /* ZXing's name for the symbology (ZXing::ToString(BarcodeFormat)). */
    char format[SA_ZXING_FORMAT_CAPACITY];
    /* The symbol's corners in pixels: x0, y0 (top left), x1, y1 (top right), x2, y2 (bottom right), x3, y3 (bottom
       left), "top" as the symbol is read. */
    int32_t corners[8];
} sa_zxing_result;

/* Reads every symbol in an 8-bit gray image (Code 128, Code 39, Code 93, EAN-13, EAN-8, UPC-A, ITF, QR Code,
   Data Matrix; ZXing's TryHarder and TryRotate), writing at most `capacity` of them to `results`.
   Returns the number written (0: none found), or -1 when the arguments are wrong or ZXing failed; then `message`
   (SA_ZXING_MESSAGE_CAPACITY bytes, may be NULL) says why. Never throws. */
int sa_zxing_decode_gray(const uint8_t *pixels, int width, int height, int stride, sa_zxing_result *results,
                         int capacity, char *message);

#ifdef __cplusplus
}
#endif
#endif
