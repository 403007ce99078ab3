import XCTest
final class PlaceholderEL2emuTests: XCTestCase { func testPlaceholder() {} }
