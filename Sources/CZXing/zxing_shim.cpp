// ZXing-C++ 1.4.0 behind the C functions of sa_zxing.h. Every call catches everything: a C++ exception must not
// cross into Swift (it would terminate the agent).
#include "sa_zxing.h"

// ZXing 1.4's text() is UTF-8 with this (wide strings without, and a deprecation #pragma message).
#define ZX_USE_UTF8 1

#include <ZXing/BarcodeFormat.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

namespace {

void setMessage(char *message, const char *text) {
    if (message == nullptr) return;
    std::snprintf(message, SA_ZXING_MESSAGE_CAPACITY, "%s", text);
}

// The symbologies a parcel label or a product code may carry; the caller decides what to do with each.
ZXing::DecodeHints makeHints(int capacity) {
    using ZXing::BarcodeFormat;
    ZXing::DecodeHints hints;
    hints.setFormats(BarcodeFormat::Code128 | BarcodeFormat::Code39 | BarcodeFormat::Code93 | BarcodeFormat::EAN13 |
                     BarcodeFormat::EAN8 | BarcodeFormat::UPCA | BarcodeFormat::ITF | BarcodeFormat::QRCode |
                     BarcodeFormat::DataMatrix);
    hints.setTryHarder(true);
    hints.setTryRotate(true);
    hints.setMaxNumberOfSymbols(static_cast<uint8_t>(std::clamp(capacity, 1, 255)));
    return hints;
}

}  // namespace

extern "C" int sa_zxing_decode_gray(const uint8_t *pixels, int width, int height, int stride,
                                    sa_zxing_result *results, int capacity, char *message) {
    if (pixels == nullptr || results == nullptr || width <= 0 || height <= 0 || stride < width || capacity <= 0) {
        setMessage(message, "bad arguments: no pixels or results, a size or capacity of 0, or a stride below the width");
        return -1;
    }
    try {
        ZXing::ImageView image(pixels, width, height, ZXing::ImageFormat::Lum, stride, 1);
        const auto found = ZXing::ReadBarcodes(image, makeHints(capacity));
        int count = 0;
        for (const auto &symbol : found) {
            if (count >= capacity) break;
            if (!symbol.isValid()) continue;
            sa_zxing_result &out = results[count];
            const std::string text = symbol.text();
            const size_t kept = std::min(text.size(), static_cast<size_t>(SA_ZXING_TEXT_CAPACITY - 1));
            std::memcpy(out.text, text.data(), kept);
            out.text[kept] = '\0';
            out.text_length = static_cast<int32_t>(kept);
            out.text_truncated = kept < text.size() ? 1 : 0;
            std::snprintf(out.format, SA_ZXING_FORMAT_CAPACITY, "%s", ZXing::ToString(symbol.format()));
            const auto &position = symbol.position();
            for (int corner = 0; corner < 4; ++corner) {
                out.corners[2 * corner] = position[corner].x;
                out.corners[2 * corner + 1] = position[corner].y;
            }
            ++count;
        }
        return count;
    } catch (const std::exception &error) {
        setMessage(message, error.what());
        return -1;
    } catch (...) {
        setMessage(message, "ZXing threw an exception that is not a std::exception");
        return -1;
    }
}
