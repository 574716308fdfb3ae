/// The spoken verdicts of SPEC §6, one WAV file each in `prompts_dir`, named after the raw value (`received.wav`).
public enum Prompt: String, Sendable, Hashable, CaseIterable {
    /// 入库成功: counted inbound.
    case received
    /// 已入库: the parcel was already in stock.
    case rescan
    /// 出库成功: released from stock.
    case released
    /// 未入库: released although never received.
    case notInStock = "not_in_stock"
    /// 已出库: released before.
    case alreadyReleased = "already_released"
    /// 无效条码: not a parcel code.
    case rejected
    /// 重复扫描: the same code again within the duplicate window.
    case duplicate
    /// 入库模式: the device now scans inbound.
    case modeIn = "mode_in"
    /// 出库模式: the device now scans outbound.
    case modeOut = "mode_out"
    /// 已撤销: the last parcel was undone.
    case undone
    /// 存储故障: the journal could not accept the scan; it must be scanned again later.
    case storageFault = "storage_fault"

    /// The prompt's file in `prompts_dir`.
    public var fileName: String { rawValue + ".wav" }
}
