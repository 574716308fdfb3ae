import ScannerProtocols

/// Milliseconds in the decoders' nanosecond clock.
func ms(_ value: UInt64) -> UInt64 { value * 1_000_000 }

/// Bytes of an ASCII string.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

// MARK: Keyboard

/// Feeds `reports` 8 ms apart (Honeywell's default bInterval) starting at `start`.
@discardableResult
func feed(
    _ decoder: inout BootKeyboardDecoder, _ reports: [[UInt8]], start: UInt64 = ms(1_000), step: UInt64 = ms(8)
) -> (output: DecoderOutput, lastTime: UInt64) {
    var output = DecoderOutput()
    var time = start
    for (index, report) in reports.enumerated() {
        time = start + UInt64(index) * step
        output.append(decoder.feed(report: report, at: time))
    }
    return (output, time)
}

// MARK: HID POS

/// A HID POS report descriptor modelled on Honeywell's (the HID POS usage tables' Bar Code Scanner page
/// with vendor usages where Honeywell's guide names no standard usage): input report 2 of 64 bytes,
/// output report 4 of 2 bytes with trigger and beeper bits, and a feature report 0xFE. Written for the
/// tests from the published report layouts, not dumped from a device.
let honeywellStyleDescriptor: [UInt8] = [
    0x05, 0x8C,  // Usage Page (Bar Code Scanner)
    0x09, 0x02,  // Usage (Bar Code Scanner)
    0xA1, 0x01,  // Collection (Application)
    0x09, 0x12,  //   Usage (Scanned Data Report)
    0xA1, 0x02,  //   Collection (Logical)
    0x85, 0x02,  //     Report ID (2)
    0x15, 0x00,  //     Logical Minimum (0)
    0x26, 0xFF, 0x00,  //     Logical Maximum (255)
    0x75, 0x08,  //     Report Size (8)
    0x95, 0x01,  //     Report Count (1)
    0x06, 0x66, 0xFF,  //     Usage Page (Vendor 0xFF66)
    0x09, 0x01,  //     Usage (byte count)
    0x81, 0x02,  //     Input (Data,Var,Abs)
    0x05, 0x8C,  //     Usage Page (Bar Code Scanner)
    0x19, 0xFB,  //     Usage Minimum (Symbology Identifier 1)
    0x29, 0xFD,  //     Usage Maximum (Symbology Identifier 3)
    0x95, 0x03,  //     Report Count (3)
    0x81, 0x02,  //     Input (Data,Var,Abs)
    0x09, 0xFE,  //     Usage (Decoded Data)
    0x95, 0x38,  //     Report Count (56)
    0x82, 0x02, 0x01,  //     Input (Data,Var,Abs,Buffered Bytes)
    0x06, 0x66, 0xFF,  //     Usage Page (Vendor 0xFF66)
    0x09, 0x02,  //     Usage (Honeywell code ID)
    0x09, 0x03,  //     Usage (reserved)
    0x95, 0x02,  //     Report Count (2)
    0x81, 0x02,  //     Input (Data,Var,Abs)
    0x05, 0x8C,  //     Usage Page (Bar Code Scanner)
    0x09, 0xFF,  //     Usage (Decode Data Continued)
    0x25, 0x01,  //     Logical Maximum (1)
    0x75, 0x01,  //     Report Size (1)
    0x95, 0x01,  //     Report Count (1)
    0x81, 0x02,  //     Input (Data,Var,Abs)
    0x95, 0x07,  //     Report Count (7)
    0x81, 0x03,  //     Input (Const) padding
    0xC0,  //   End Collection
    0x85, 0x04,  //   Report ID (4)
    0x75, 0x01,  //   Report Size (1)
    0x95, 0x01,  //   Report Count (1)
    0x91, 0x03,  //   Output (Const) bit 0
    0x06, 0x66, 0xFF,  //   Usage Page (Vendor 0xFF66)
    0x09, 0x10,  //   Usage (prevent read)
    0x09, 0x11,  //   Usage (initiate read)
    0x95, 0x02,  //   Report Count (2)
    0x91, 0x02,  //   Output (Data,Var,Abs) bits 1-2
    0x91, 0x03,  //   Output (Const) bits 3-4
    0x05, 0x8C,  //   Usage Page (Bar Code Scanner)
    0x09, 0x85,  //   Usage (Sound Error Beep)
    0x09, 0x86,  //   Usage (Sound Good Read Beep)
    0x91, 0x02,  //   Output (Data,Var,Abs) bits 5-6
    0x95, 0x01,  //   Report Count (1)
    0x91, 0x03,  //   Output (Const) bit 7
    0x85, 0xFE,  //   Report ID (254)
    0x06, 0x66, 0xFF,  //   Usage Page (Vendor 0xFF66)
    0x09, 0x20,  //   Usage (redirect to interface)
    0x75, 0x08,  //   Report Size (8)
    0x26, 0xFF, 0x00,  //   Logical Maximum (255)
    0xB1, 0x02,  //   Feature (Data,Var,Abs)
    0xFE, 0x02, 0x10, 0xAA, 0xBB,  //   a long item, which parsers skip
    0xC0,  // End Collection
]

// MARK: FTDI

