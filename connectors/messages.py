"""The few sentences the gateway says on its own (everything else comes from the bot)."""

EMPTY_TEXT = (
    "Bạn muốn hỏi về thủ tục hành chính nào? "
    "Vui lòng nhập câu hỏi, ví dụ: “làm giấy khai sinh cần giấy tờ gì”."
)
BOT_UNAVAILABLE = (
    "Xin lỗi, hệ thống đang bận nên chưa trả lời được câu hỏi của bạn. "
    "Bạn vui lòng thử lại sau ít phút hoặc gọi {name}, số {number}."
)
CALL_BUTTON = "Gọi {number}"
MORE_OPTIONS = "Lựa chọn khác:"

INTERNAL_ERROR = "Hệ thống đang gặp sự cố. Bạn vui lòng thử lại sau ít phút."
NOT_FOUND = "Không tìm thấy địa chỉ yêu cầu."
METHOD_NOT_ALLOWED = "Phương thức không được hỗ trợ cho địa chỉ này."
INVALID_REQUEST = "Yêu cầu không hợp lệ."
INVALID_JSON = "Nội dung gửi lên không phải JSON hợp lệ."
FIELD_MISSING = "Thiếu trường “{field}”."
FIELD_NOT_STRING = "Trường “{field}” phải là chuỗi ký tự."
FIELD_EMPTY = "Trường “{field}” không được để trống."
FIELD_TOO_LONG = "Trường “{field}” quá dài."
FIELD_INVALID = "Giá trị của trường “{field}” không hợp lệ."
UNKNOWN_CHANNEL = "Kênh không hợp lệ: chỉ nhận “web”, “telegram” hoặc “zalo”."

CHANNEL_NOT_CONFIGURED = "Kênh chưa được cấu hình."
SECRET_MISSING = "Thiếu mã xác thực của kênh."
SECRET_WRONG = "Mã xác thực của kênh không đúng."
