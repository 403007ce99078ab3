import EL2
import Hypervisor
import XCTest

/// What Linux does that the firmware guests did not, each in a small guest
/// (each stopped Debian's kernel under el2emu before its fix): code and
/// accesses at a VA that is not the IPA, DC ZVA, SIMD structure loads and
/// stores, loads crossing into an unmapped page, ASID switches under TVM.
final class KernelPatternTests: XCTestCase {
    /// Unicorn 2.0 runs no guest whose VA != IPA: there the guest must stop
    /// with the sentence naming 2.0's limits, in each design.
    func passes(_ guest: String, _ checks: [String], needsVANotIPA: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let v = Processor.unicornVersion
        guard needsVANotIPA, v.major == 2 && v.minor == 0 else {
            _ = try GuestRun.passingInBothDesigns(guest, checks, file: file, line: line)
            return
        }
        for mode in VirtualizationMode.allCases {
            let run = try GuestRun(guest, mode: mode)
            guard case .error(let m) = run.reason else { return XCTFail("\(mode): \(run.reason)", file: file, line: line) }
            XCTAssertTrue(m.contains("UNICORN=2.0") && m.contains("VA != IPA"), m, file: file, line: line)
        }
    }

    func testCodeAtAVANotItsIPAMakesHVCAndMMIOAccesses() throws {
        try passes("va_code", ["code at VA != IPA makes an HVC and an MMIO store"])
    }

    func testDCZVAFindsItsVirtualAddress() throws {
        try passes("dczva", ["DCZID_EL0 says 64-byte blocks, DC ZVA allowed", "DC ZVA at VA != IPA, first touch of its stage-2 block"])
    }

    func testSIMDStructureLoadsAndStoresAreDecoded() throws {
        try passes("simd_ldst", ["ST1 of four registers across a block boundary at VA != IPA", "LD1 of four registers at VA != IPA",
                                 "LD1R at VA != IPA", "post-indexed LD1 at VA != IPA"])
    }

    func testLoadCrossingIntoAnUnmappedPageTakesATranslationFault() throws {
        try passes("pagecross", ["the crossing load takes a data abort at EL1", "a level-3 translation fault, not an alignment fault",
                                 "FAR_EL1 is in the unmapped page"], needsVANotIPA: false)
    }

    /// With demand paging the guest's tables share coalesced TLB runs of RAM:
    /// the model's walk once entered them again on every retry, for ever.
    func testLoadCrossingIntoAnUnmappedPageWithDemandPaging() throws {
        _ = try GuestRun.passingInBothDesigns("pagecross", ["the crossing load takes a data abort at EL1", "a level-3 translation fault, not an alignment fault",
                                                            "FAR_EL1 is in the unmapped page"], configure: { $0.demandPaging = true; $0.timeoutSeconds = 60 })
    }

    func testTTBR0WriteWithANewASIDSwitchesAddressSpace() throws {
        try passes("asid", ["a TTBR0_EL1 write with a new ASID switches address space"])
    }

    func testCodeRewrittenThroughAnAliasRunsAsRewritten() throws {
        try passes("smc_alias", ["code written through an alias runs", "code rewritten through the alias runs as rewritten"])
    }
}
