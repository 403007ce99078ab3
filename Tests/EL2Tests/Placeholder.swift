import XCTest
final class PlaceholderEL2Tests: XCTestCase { func testPlaceholder() {} }
