//! An owned libjpeg-turbo 3 handle (destroyed on drop) and its last error message, shared by
//! the direct uses of the C API (12-bit decoding, DCT-domain blanking).

use turbojpeg_sys as tj;

pub(crate) struct Handle(pub(crate) tj::tjhandle);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from tj3Init and is destroyed once.
        unsafe { tj::tj3Destroy(self.0) }
    }
}

impl Handle {
    /// A new handle for `init` (a `TJINIT_*` value); `None` when libjpeg-turbo cannot start.
    pub(crate) fn new(init: i32) -> Option<Handle> {
        // SAFETY: plain FFI call; a null handle is checked.
        let h = unsafe { tj::tj3Init(init) };
        (!h.is_null()).then_some(Handle(h))
    }

    /// The handle's last error message.
    pub(crate) fn last_error(&self) -> String {
        // SAFETY: tj3GetErrorStr returns a NUL-terminated string owned by the handle.
        unsafe { std::ffi::CStr::from_ptr(tj::tj3GetErrorStr(self.0)) }
            .to_string_lossy()
            .into_owned()
    }
}
