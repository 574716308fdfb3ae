#ifndef STATION_AGENT_SA_JPEG_H
#define STATION_AGENT_SA_JPEG_H
/* JPEG decoding and encoding for the camera release device through libjpeg-turbo (Debian's libjpeg62-turbo-dev).
   libjpeg reports errors through error_exit, whose default calls exit(): these functions install an error manager
   that longjmps back (which Swift cannot do), so a corrupt frame is an error code and a message, never the end of
   the agent. libjpeg's warnings are not printed either. */
#include <stddef.h>
#include <stdint.h>

/* Bytes of an error message, NUL included. */
#define SA_JPEG_MESSAGE_CAPACITY 200

/* What a function returns. */
enum {
    SA_JPEG_OK = 0,
    /* The arguments are wrong (no data, a size of 0, a stride below the row, an odd width for YUYV). */
    SA_JPEG_BAD_ARGUMENTS = 1,
    /* libjpeg could not read the data: not a JPEG, corrupt, or cut short. */
    SA_JPEG_CORRUPT = 2,
    /* The image's size is not the one asked for, or more than SA_JPEG_MAX_SIDE pixels on a side. */
    SA_JPEG_WRONG_SIZE = 3,
    /* Memory ran out (malloc or libjpeg's own). */
    SA_JPEG_NO_MEMORY = 4,
};

/* The largest side a frame may have: a header that claims more is corrupt as far as a camera frame goes. */
#define SA_JPEG_MAX_SIDE 8192

/* Reads the header of the JPEG in data[0..<size] and gives its width and height. */
int sa_jpeg_dimensions(const uint8_t *data, size_t size, int *width, int *height, char *message);

/* Decodes the JPEG in data[0..<size] to its 8-bit gray (luma) plane, `width` × `height` pixels written row after
   row (stride = width) to `pixels`, which holds width × height bytes. The JPEG must be exactly that size (see
   sa_jpeg_dimensions). A JPEG cut short (libjpeg's "premature end") is SA_JPEG_CORRUPT, not a frame padded gray.
   `message` (SA_JPEG_MESSAGE_CAPACITY bytes, may be NULL) says why on failure. */
int sa_jpeg_decode_gray(const uint8_t *data, size_t size, uint8_t *pixels, int width, int height, char *message);

/* Encodes an 8-bit gray image (rows `stride` bytes apart) as a baseline JPEG of `quality` (1-100). On success
   *output is a buffer from malloc (free it with sa_jpeg_free) of *output_size bytes. */
int sa_jpeg_encode_gray(const uint8_t *pixels, int width, int height, int stride, int quality, uint8_t **output,
                        size_t *output_size, char *message);

/* Encodes a YUYV (YUY2: Y0 U Y1 V for each two pixels) image, rows `stride` bytes apart and an even `width`, as a
   baseline YCbCr JPEG of `quality` (1-100), with the same output as sa_jpeg_encode_gray. */
int sa_jpeg_encode_yuyv(const uint8_t *yuyv, int width, int height, int stride, int quality, uint8_t **output,
                        size_t *output_size, char *message);

/* Frees a buffer an encode function returned. */
void sa_jpeg_free(uint8_t *buffer);

#endif
