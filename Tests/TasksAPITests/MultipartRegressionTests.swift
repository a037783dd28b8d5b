import Testing
@testable import TasksAPI

/// Crashes the formdata fuzz target found (inputs kept in Fuzz/corpus/formdata/regression-*).
@Suite struct MultipartRegressionTests {
    // The first crash (a header-name byte >= 0x80 trapped MultipartKit 4.7.1's parser, since replaced by
    // Sources/FormData) is Tests/FormDataTests' testHeaderNameByteAbove127.

    /// `boundary=""` gave the task API's chunk endpoint an empty boundary, on which MultipartKit's parser
    /// trapped (a precondition; MultipartFormParser refuses one at init). No boundary means 400 now, as for
    /// a missing one.
    @Test func emptyBoundaryIsNoBoundary() {
        #expect(FormFieldStream.boundary("multipart/form-data; boundary=\"\"") == nil)
        #expect(FormFieldStream.boundary("multipart/form-data; boundary=\"") == nil)
        #expect(FormFieldStream.boundary("multipart/form-data; boundary=") == nil)
        #expect(FormFieldStream.boundary("multipart/form-data; boundary=\"abc\"") == "abc")
        #expect(FormFieldStream.boundary("Multipart/Form-Data; charset=utf-8; Boundary=x-1") == "x-1")
    }
}
