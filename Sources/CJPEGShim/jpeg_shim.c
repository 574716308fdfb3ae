/* libjpeg-turbo behind the functions of sa_jpeg.h: every libjpeg call runs under a setjmp, so error_exit returns
   here with a message instead of calling exit(). */
#include "sa_jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf back;
    /* Set by a "premature end of JPEG file" warning: the frame was cut short. */
    int truncated;
} error_manager;

static void set_message(char *message, const char *text) {
    if (message != NULL) snprintf(message, SA_JPEG_MESSAGE_CAPACITY, "%s", text);
}

static void error_exit(j_common_ptr cinfo) {
    error_manager *manager = (error_manager *)cinfo->err;
    longjmp(manager->back, 1);
}

/* Warnings are not printed (libjpeg's default writes them to stderr); the one that matters is remembered. */
static void emit_message(j_common_ptr cinfo, int level) {
    error_manager *manager = (error_manager *)cinfo->err;
    if (level < 0 && manager->base.msg_code == JWRN_JPEG_EOF) manager->truncated = 1;
    if (level < 0) manager->base.num_warnings++;
}

static void output_message(j_common_ptr cinfo) { (void)cinfo; }

static void install(error_manager *manager) {
    memset(manager, 0, sizeof *manager);
    jpeg_std_error(&manager->base);
    manager->base.error_exit = error_exit;
    manager->base.emit_message = emit_message;
    manager->base.output_message = output_message;
}

static int failure(j_common_ptr cinfo, char *message) {
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    set_message(message, text);
    return cinfo->err->msg_code == JERR_OUT_OF_MEMORY ? SA_JPEG_NO_MEMORY : SA_JPEG_CORRUPT;
}

/* MARK: Decoding */

static int start_decompress(struct jpeg_decompress_struct *cinfo, const uint8_t *data, size_t size) {
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    return jpeg_read_header(cinfo, TRUE);
}

int sa_jpeg_dimensions(const uint8_t *data, size_t size, int *width, int *height, char *message) {
    if (data == NULL || size == 0 || width == NULL || height == NULL) {
        set_message(message, "bad arguments: no data or a size of 0");
        return SA_JPEG_BAD_ARGUMENTS;
    }
    struct jpeg_decompress_struct cinfo;
    error_manager manager;
    install(&manager);
    cinfo.err = &manager.base;
    if (setjmp(manager.back)) {
        int result = failure((j_common_ptr)&cinfo, message);
        jpeg_destroy_decompress(&cinfo);
        return result;
    }
    jpeg_create_decompress(&cinfo);
    if (start_decompress(&cinfo, data, size) != JPEG_HEADER_OK) {
        jpeg_destroy_decompress(&cinfo);
        set_message(message, "no image in the JPEG data (tables only)");
        return SA_JPEG_CORRUPT;
    }
    *width = (int)cinfo.image_width;
    *height = (int)cinfo.image_height;
    jpeg_destroy_decompress(&cinfo);
    return SA_JPEG_OK;
}

int sa_jpeg_decode_gray(const uint8_t *data, size_t size, uint8_t *pixels, int width, int height, char *message) {
    if (data == NULL || size == 0 || pixels == NULL || width <= 0 || height <= 0) {
        set_message(message, "bad arguments: no data or pixels, or a size of 0");
        return SA_JPEG_BAD_ARGUMENTS;
    }
    struct jpeg_decompress_struct cinfo;
    error_manager manager;
    install(&manager);
    cinfo.err = &manager.base;
    if (setjmp(manager.back)) {
        int result = failure((j_common_ptr)&cinfo, message);
        jpeg_destroy_decompress(&cinfo);
        return result;
    }
    jpeg_create_decompress(&cinfo);
    if (start_decompress(&cinfo, data, size) != JPEG_HEADER_OK) {
        jpeg_destroy_decompress(&cinfo);
        set_message(message, "no image in the JPEG data (tables only)");
        return SA_JPEG_CORRUPT;
    }
    if ((int)cinfo.image_width != width || (int)cinfo.image_height != height) {
        char text[SA_JPEG_MESSAGE_CAPACITY];
        snprintf(text, sizeof text, "the JPEG is %ux%u, not %dx%d", cinfo.image_width, cinfo.image_height, width,
                 height);
        set_message(message, text);
        jpeg_destroy_decompress(&cinfo);
        return SA_JPEG_WRONG_SIZE;
    }
    /* Only the luma plane is needed: libjpeg skips the chroma for gray output. */
    cinfo.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&cinfo);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * (size_t)width;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    if (manager.truncated) {
        set_message(message, "the JPEG is cut short (premature end of JPEG file)");
        return SA_JPEG_CORRUPT;
    }
    return SA_JPEG_OK;
}

/* MARK: Encoding */

/* A destination that grows a malloc'd buffer this file owns, so a failed encode can free it (libjpeg's
   jpeg_mem_dest leaves a caller no pointer to free after an error in the middle). */
typedef struct {
    struct jpeg_destination_mgr base;
    uint8_t *buffer;
    size_t capacity;
} growing_destination;

static void init_destination(j_compress_ptr cinfo) {
    growing_destination *destination = (growing_destination *)cinfo->dest;
    destination->base.next_output_byte = destination->buffer;
    destination->base.free_in_buffer = destination->capacity;
}

static boolean empty_output_buffer(j_compress_ptr cinfo) {
    growing_destination *destination = (growing_destination *)cinfo->dest;
    size_t grown = destination->capacity * 2;
    uint8_t *buffer = realloc(destination->buffer, grown);
    if (buffer == NULL) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 100);
    destination->base.next_output_byte = buffer + destination->capacity;
    destination->base.free_in_buffer = grown - destination->capacity;
    destination->buffer = buffer;
    destination->capacity = grown;
    return TRUE;
}

static void term_destination(j_compress_ptr cinfo) { (void)cinfo; }

typedef void (*row_filler)(const uint8_t *source, int width, JSAMPROW row);

static void copy_gray_row(const uint8_t *source, int width, JSAMPROW row) { memcpy(row, source, (size_t)width); }

/* Y0 U Y1 V → (Y0 U V) (Y1 U V): the two pixels share their chroma. */
static void expand_yuyv_row(const uint8_t *source, int width, JSAMPROW row) {
    for (int x = 0; x < width; x += 2) {
        const uint8_t *quad = source + 2 * x;
        JSAMPLE *pair = row + 3 * x;
        pair[0] = quad[0];
        pair[1] = quad[1];
        pair[2] = quad[3];
        pair[3] = quad[2];
        pair[4] = quad[1];
        pair[5] = quad[3];
    }
}

static int encode(const uint8_t *source, int width, int height, int stride, int quality, int components,
                  J_COLOR_SPACE space, row_filler fill, uint8_t **output, size_t *output_size, char *message) {
    /* Allocated before the setjmp and freed on every path after it. */
    JSAMPROW row = malloc((size_t)width * (size_t)components);
    growing_destination destination = {0};
    destination.capacity = 64 * 1024;
    destination.buffer = malloc(destination.capacity);
    if (row == NULL || destination.buffer == NULL) {
        free(row);
        free(destination.buffer);
        set_message(message, "out of memory");
        return SA_JPEG_NO_MEMORY;
    }
    destination.base.init_destination = init_destination;
    destination.base.empty_output_buffer = empty_output_buffer;
    destination.base.term_destination = term_destination;

    struct jpeg_compress_struct cinfo;
    error_manager manager;
    install(&manager);
    cinfo.err = &manager.base;
    if (setjmp(manager.back)) {
        int result = failure((j_common_ptr)&cinfo, message);
        jpeg_destroy_compress(&cinfo);
        free(row);
        free(destination.buffer);
        return result;
    }
    jpeg_create_compress(&cinfo);
    cinfo.dest = &destination.base;
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = space;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        fill(source + (size_t)cinfo.next_scanline * (size_t)stride, width, row);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    *output_size = destination.capacity - destination.base.free_in_buffer;
    *output = destination.buffer;
    jpeg_destroy_compress(&cinfo);
    free(row);
    return SA_JPEG_OK;
}

static int check_encode_arguments(const uint8_t *source, int width, int height, int stride, int row_bytes,
                                  int quality, uint8_t **output, size_t *output_size, char *message) {
    if (source == NULL || output == NULL || output_size == NULL || width <= 0 || height <= 0 || stride < row_bytes ||
        width > SA_JPEG_MAX_SIDE || height > SA_JPEG_MAX_SIDE || quality < 1 || quality > 100) {
        set_message(message, "bad arguments: no pixels or output, a size of 0 or above 8192, a stride below the row, "
                             "or a quality outside 1-100");
        return SA_JPEG_BAD_ARGUMENTS;
    }
    return SA_JPEG_OK;
}

int sa_jpeg_encode_gray(const uint8_t *pixels, int width, int height, int stride, int quality, uint8_t **output,
                        size_t *output_size, char *message) {
    int checked = check_encode_arguments(pixels, width, height, stride, width, quality, output, output_size, message);
    if (checked != SA_JPEG_OK) return checked;
    return encode(pixels, width, height, stride, quality, 1, JCS_GRAYSCALE, copy_gray_row, output, output_size,
                  message);
}

int sa_jpeg_encode_yuyv(const uint8_t *yuyv, int width, int height, int stride, int quality, uint8_t **output,
                        size_t *output_size, char *message) {
    int checked = check_encode_arguments(yuyv, width, height, stride, 2 * width, quality, output, output_size, message);
    if (checked != SA_JPEG_OK) return checked;
    if (width % 2 != 0) {
        set_message(message, "bad arguments: a YUYV width must be even");
        return SA_JPEG_BAD_ARGUMENTS;
    }
    return encode(yuyv, width, height, stride, quality, 3, JCS_YCbCr, expand_yuyv_row, output, output_size, message);
}

void sa_jpeg_free(uint8_t *buffer) { free(buffer); }
