//! Windows: the state file and its directory private to one account.
//!
//! Windows has no mode bits; what 0600/0700 say on Unix is said here by a
//! *protected* DACL (nothing inherited from the parent directory) granting
//! full access to the account running the process and to `SYSTEM`, and to
//! nobody else. It is given at creation time (`CreateFileW` /
//! `CreateDirectoryW` with a `SECURITY_ATTRIBUTES`), so there is no moment
//! at which the file or directory exists with a broader ACL.
//!
//! Reading checks the other way round: a file or directory whose DACL lets
//! a broad group (Everyone, Authenticated Users, BUILTIN\Users,
//! BUILTIN\Guests, Anonymous) read or write it, or that has no DACL at all,
//! is refused with [`StateError::InsecurePermissions`](super::StateError),
//! whose `mode` is then the equivalent Unix mode (group and other bits set
//! for what those groups may do).
//!
//! Replacing the file: see [`replace`]. A reader that opens the file without
//! `FILE_SHARE_DELETE` makes every save fail until it closes it: readers of
//! the state file must share delete (this library's own reads do).

use std::ffi::c_void;
use std::fs::File;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle};
use std::path::Path;
use std::ptr::{null, null_mut};
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, ERROR_INSUFFICIENT_BUFFER,
    ERROR_INVALID_FUNCTION, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED, ERROR_SHARING_VIOLATION,
    GENERIC_ALL, GENERIC_READ, GENERIC_WRITE, HANDLE, HLOCAL, INVALID_HANDLE_VALUE, LocalFree,
    WIN32_ERROR,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW,
    GetNamedSecurityInfoW, GetSecurityInfo, SDDL_REVISION_1, SE_FILE_OBJECT, SE_OBJECT_TYPE,
};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, ACL_SIZE_INFORMATION, AclSizeInformation,
    CreateWellKnownSid, DACL_SECURITY_INFORMATION, EqualSid, GetAce, GetAclInformation,
    GetTokenInformation, OBJECT_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID,
    SECURITY_ATTRIBUTES, SECURITY_MAX_SID_SIZE, TOKEN_QUERY, TOKEN_USER, TokenUser,
    WELL_KNOWN_SID_TYPE, WinAnonymousSid, WinAuthenticatedUserSid, WinBuiltinGuestsSid,
    WinBuiltinUsersSid, WinWorldSid,
};
use windows_sys::Win32::Storage::FileSystem::{
    CREATE_NEW, CreateDirectoryW, CreateFileW, DELETE, FILE_APPEND_DATA, FILE_ATTRIBUTE_NORMAL,
    FILE_DELETE_CHILD, FILE_READ_DATA, FILE_RENAME_INFO, FILE_SHARE_DELETE, FILE_SHARE_READ,
    FILE_SHARE_WRITE, FILE_WRITE_DATA, FileRenameInfoEx, MOVEFILE_REPLACE_EXISTING,
    MOVEFILE_WRITE_THROUGH, MoveFileExW, OPEN_ALWAYS, REPLACEFILE_IGNORE_MERGE_ERRORS,
    ReplaceFileW, SetFileInformationByHandle, WRITE_DAC, WRITE_OWNER,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// `FILE_RENAME_INFO` flags (winbase.h; windows-sys has them in a module
/// this crate does not otherwise need).
const FILE_RENAME_FLAG_REPLACE_IF_EXISTS: u32 = 0x1;
const FILE_RENAME_FLAG_POSIX_SEMANTICS: u32 = 0x2;

/// `ACE_HEADER::AceType` of an access-allowed entry.
const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;

/// The share mode of every open of the state file by this library: other
/// processes may read it, and it may be replaced or removed while open.
pub(crate) const SHARE_ALL: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

/// Rights that let a trustee see the contents (or list a directory).
const READ_RIGHTS: u32 = FILE_READ_DATA | GENERIC_READ | GENERIC_ALL;

/// Rights that let a trustee change, replace or re-permission the object.
const WRITE_RIGHTS: u32 = FILE_WRITE_DATA
    | FILE_APPEND_DATA
    | FILE_DELETE_CHILD
    | DELETE
    | WRITE_DAC
    | WRITE_OWNER
    | GENERIC_WRITE
    | GENERIC_ALL;

/// The groups that stand for "anyone else" (Unix group and other).
const BROAD_GROUPS: [WELL_KNOWN_SID_TYPE; 5] = [
    WinWorldSid,
    WinAuthenticatedUserSid,
    WinBuiltinUsersSid,
    WinBuiltinGuestsSid,
    WinAnonymousSid,
];

/// A path as a NUL-terminated wide string, absolute and in the `\\?\` form
/// so paths longer than `MAX_PATH` work (`\\server\share\...` becomes
/// `\\?\UNC\server\share\...`).
pub(crate) fn wide_path(path: &Path) -> io::Result<Vec<u16>> {
    let raw: Vec<u16> = path.as_os_str().encode_wide().collect();
    let bs = u16::from(b'\\');
    let verbatim = |s: &[u16]| s.len() >= 4 && s[0] == bs && s[1] == bs && s[3] == bs;
    let mut out: Vec<u16> = if verbatim(&raw) {
        raw
    } else {
        let absolute: Vec<u16> = std::path::absolute(path)?
            .as_os_str()
            .encode_wide()
            .collect();
        if verbatim(&absolute) {
            absolute
        } else if absolute.len() > 2 && absolute[0] == bs && absolute[1] == bs {
            let mut v: Vec<u16> = r"\\?\UNC\".encode_utf16().collect();
            v.extend_from_slice(&absolute[2..]);
            v
        } else {
            let mut v: Vec<u16> = r"\\?\".encode_utf16().collect();
            v.extend_from_slice(&absolute);
            v
        }
    };
    if out.contains(&0) {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    out.push(0);
    Ok(out)
}

fn wide_str(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(Some(0)).collect()
}

/// Memory the system allocated with `LocalAlloc`; freed on drop.
struct Local(*mut c_void);

impl Drop for Local {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from a function documented to
            // allocate with LocalAlloc and is freed once.
            unsafe { LocalFree(self.0 as HLOCAL) };
        }
    }
}

/// The SID of the account running this process, in string form (`S-1-5-...`).
fn current_user_sid() -> io::Result<String> {
    // SAFETY: plain Win32 calls on buffers sized as the API reports; the
    // token handle is closed on every path.
    unsafe {
        let mut token: HANDLE = null_mut();
        if OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) == 0 {
            return Err(io::Error::last_os_error());
        }
        let result = (|| {
            let mut len = 0u32;
            if GetTokenInformation(token, TokenUser, null_mut(), 0, &mut len) == 0 {
                let e = io::Error::last_os_error();
                if e.raw_os_error() != Some(ERROR_INSUFFICIENT_BUFFER as i32) {
                    return Err(e);
                }
            }
            // u64 elements: TOKEN_USER needs pointer alignment.
            let mut buf = vec![0u64; (len as usize).div_ceil(8)];
            if GetTokenInformation(token, TokenUser, buf.as_mut_ptr().cast(), len, &mut len) == 0 {
                return Err(io::Error::last_os_error());
            }
            let user = &*(buf.as_ptr() as *const TOKEN_USER);
            let mut text: *mut u16 = null_mut();
            if ConvertSidToStringSidW(user.User.Sid, &mut text) == 0 {
                return Err(io::Error::last_os_error());
            }
            let text = Local(text.cast());
            let p = text.0 as *const u16;
            let n = (0..).take_while(|&i| *p.add(i) != 0).count();
            Ok(String::from_utf16_lossy(std::slice::from_raw_parts(p, n)))
        })();
        CloseHandle(token);
        result
    }
}

/// A self-relative security descriptor granting full access to this
/// account and SYSTEM only, protected from inheritance. For a directory the
/// two entries are also inherited by what is created inside it.
struct OwnerOnly(Local);

impl OwnerOnly {
    fn new(directory: bool) -> io::Result<Self> {
        let user = current_user_sid()?;
        let inherit = if directory { "OICI" } else { "" };
        // D:P = a protected DACL; FA = FILE_ALL_ACCESS; SY = LocalSystem.
        let sddl = wide_str(&format!(
            "D:P(A;{inherit};FA;;;{user})(A;{inherit};FA;;;SY)"
        ));
        let mut sd: PSECURITY_DESCRIPTOR = null_mut();
        // SAFETY: sddl is NUL-terminated; sd receives a LocalAlloc'ed block.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self(Local(sd)))
    }

    fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: self.0.0,
            bInheritHandle: 0,
        }
    }
}

/// Creates `dir` and its missing parents, each with an owner-only DACL.
/// Directories that already exist are left as they are.
pub(crate) fn create_dir_all_private(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        if !parent.as_os_str().is_empty() && !parent.is_dir() {
            create_dir_all_private(parent)?;
        }
    }
    let sd = OwnerOnly::new(true)?;
    let sa = sd.attributes();
    let name = wide_path(dir)?;
    // SAFETY: name is NUL-terminated; sa points at a live descriptor.
    if unsafe { CreateDirectoryW(name.as_ptr(), &sa) } == 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(ERROR_ALREADY_EXISTS as i32) && dir.is_dir() {
            return Ok(());
        }
        return Err(e);
    }
    Ok(())
}

fn create_file(path: &Path, access: u32, disposition: u32) -> io::Result<File> {
    let sd = OwnerOnly::new(false)?;
    let sa = sd.attributes();
    let name = wide_path(path)?;
    // SAFETY: name is NUL-terminated; sa points at a live descriptor; the
    // returned handle is owned by the File.
    unsafe {
        let handle = CreateFileW(
            name.as_ptr(),
            access,
            SHARE_ALL,
            &sa,
            disposition,
            FILE_ATTRIBUTE_NORMAL,
            null_mut(),
        );
        if handle == INVALID_HANDLE_VALUE {
            return Err(io::Error::last_os_error());
        }
        Ok(File::from_raw_handle(handle))
    }
}

/// Creates a new file (failing if it exists) with an owner-only DACL, open
/// for reading and writing, shared for reading, writing and deletion.
pub(crate) fn create_new_private(path: &Path) -> io::Result<File> {
    create_file(path, GENERIC_READ | GENERIC_WRITE | DELETE, CREATE_NEW)
}

/// Opens a file, creating it with an owner-only DACL when missing (the
/// DACL of an existing file is left alone).
pub(crate) fn open_or_create_private(path: &Path) -> io::Result<File> {
    create_file(path, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS)
}

/// What broad groups may do, as Unix group/other bits: `None` when nobody
/// but the owner, SYSTEM and administrators may read or write.
fn exposure(dacl: *const ACL, directory: bool) -> io::Result<Option<u32>> {
    let owner = if directory { 0o700 } else { 0o600 };
    if dacl.is_null() {
        // No DACL at all: everyone has full access.
        return Ok(Some(owner | 0o066 | if directory { 0o011 } else { 0 }));
    }
    let mut broad = Vec::with_capacity(BROAD_GROUPS.len());
    for kind in BROAD_GROUPS {
        let mut sid = [0u64; (SECURITY_MAX_SID_SIZE as usize).div_ceil(8)];
        let mut len = SECURITY_MAX_SID_SIZE;
        // SAFETY: sid holds SECURITY_MAX_SID_SIZE bytes.
        if unsafe { CreateWellKnownSid(kind, null_mut(), sid.as_mut_ptr().cast(), &mut len) } == 0 {
            return Err(io::Error::last_os_error());
        }
        broad.push(sid);
    }
    let mut info = ACL_SIZE_INFORMATION {
        AceCount: 0,
        AclBytesInUse: 0,
        AclBytesFree: 0,
    };
    // SAFETY: dacl is a valid ACL owned by a live security descriptor.
    let ok = unsafe {
        GetAclInformation(
            dacl,
            (&mut info as *mut ACL_SIZE_INFORMATION).cast(),
            size_of::<ACL_SIZE_INFORMATION>() as u32,
            AclSizeInformation,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    let (mut read, mut write) = (false, false);
    for index in 0..info.AceCount {
        let mut ace: *mut c_void = null_mut();
        // SAFETY: index < AceCount; the ACE lives as long as the ACL.
        if unsafe { GetAce(dacl, index, &mut ace) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: every ACE starts with an ACE_HEADER; allowed ACEs are
        // ACCESS_ALLOWED_ACE with the SID at SidStart.
        unsafe {
            let header = &*(ace as *const ACE_HEADER);
            if header.AceType != ACCESS_ALLOWED_ACE_TYPE {
                continue;
            }
            let allowed = &*(ace as *const ACCESS_ALLOWED_ACE);
            let sid = (&allowed.SidStart as *const u32) as PSID;
            let is_broad = broad
                .iter_mut()
                .any(|b| EqualSid(sid, b.as_mut_ptr().cast()) != 0);
            if is_broad {
                read |= allowed.Mask & READ_RIGHTS != 0;
                write |= allowed.Mask & WRITE_RIGHTS != 0;
            }
        }
    }
    if !read && !write {
        return Ok(None);
    }
    let mut mode = owner;
    if read {
        mode |= if directory { 0o055 } else { 0o044 };
    }
    if write {
        mode |= 0o022;
    }
    Ok(Some(mode))
}

/// `GetSecurityInfo` (of a handle) or `GetNamedSecurityInfoW` (of a
/// NUL-terminated wide path): the same arguments after the object.
type GetInfo<T> = unsafe extern "system" fn(
    T,
    SE_OBJECT_TYPE,
    OBJECT_SECURITY_INFORMATION,
    *mut PSID,
    *mut PSID,
    *mut *mut ACL,
    *mut *mut ACL,
    *mut PSECURITY_DESCRIPTOR,
) -> WIN32_ERROR;

/// The exposure of the file or directory `object`, its DACL read by
/// `get_info` (see [`exposure`]).
///
/// # Safety
///
/// `object` is what `get_info` takes: a live handle with `READ_CONTROL`,
/// or a pointer to a NUL-terminated wide path that outlives the call.
unsafe fn object_exposure<T>(
    get_info: GetInfo<T>,
    object: T,
    directory: bool,
) -> io::Result<Option<u32>> {
    let mut dacl: *mut ACL = null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = null_mut();
    // SAFETY: `object` is valid (this function's contract); sd receives a
    // LocalAlloc'ed block that owns dacl and is freed after the DACL was read.
    let rc = unsafe {
        get_info(
            object,
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            null_mut(),
            null_mut(),
            &mut dacl,
            null_mut(),
            &mut sd,
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc as i32));
    }
    let _sd = Local(sd);
    exposure(dacl, directory)
}

/// The exposure of an open file (see [`exposure`]). The handle needs
/// `READ_CONTROL` (any open for reading has it).
pub(crate) fn file_exposure(file: &File) -> io::Result<Option<u32>> {
    // SAFETY: the handle is live while `file` is borrowed.
    unsafe { object_exposure(GetSecurityInfo, file.as_raw_handle() as HANDLE, false) }
}

/// The exposure of a directory (see [`exposure`]).
pub(crate) fn dir_exposure(dir: &Path) -> io::Result<Option<u32>> {
    let name = wide_path(dir)?;
    // SAFETY: `name` is NUL-terminated and lives until the call returns.
    unsafe { object_exposure(GetNamedSecurityInfoW, name.as_ptr(), true) }
}

/// Puts `from` (a temporary file in the same directory, open as `file`
/// with `DELETE` access) in place of `to`.
///
/// 1. A POSIX-semantics rename of the open handle
///    (`FileRenameInfoEx` with `FILE_RENAME_FLAG_POSIX_SEMANTICS`, Windows 10
///    1709 and later on NTFS): atomic, and allowed while other processes
///    hold `to` open with `FILE_SHARE_DELETE`.
/// 2. Where that is not supported (older systems, Wine 8):
///    `MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)`,
///    atomic, but refused while `to` is open in another process;
/// 3. then `ReplaceFileW`, which works while `to` is held open but (under
///    Wine at least) moves the old file aside before moving the new one in,
///    so the name is missing for a moment: [`FileStateStore`]'s own reads
///    wait for a save in flight instead of reporting the file missing.
///
/// Sharing violations (a scanner, or a reader without `FILE_SHARE_DELETE`,
/// holding the file for a moment) are retried for about a second.
///
/// [`FileStateStore`]: super::FileStateStore
pub(crate) fn replace(file: File, from: &Path, to: &Path) -> io::Result<()> {
    let to_w = wide_path(to)?;
    if rename_posix(&file, &to_w)? {
        return Ok(());
    }
    drop(file);
    let from_w = wide_path(from)?;
    let mut delay = Duration::from_millis(1);
    let mut waited = Duration::ZERO;
    loop {
        // SAFETY: both names are NUL-terminated.
        let moved = unsafe {
            MoveFileExW(
                from_w.as_ptr(),
                to_w.as_ptr(),
                MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH,
            )
        };
        if moved != 0 {
            return Ok(());
        }
        let move_error = io::Error::last_os_error();
        if !is_busy(&move_error) {
            return Err(move_error);
        }
        // SAFETY: both names are NUL-terminated; no backup, no reserved.
        let replaced = unsafe {
            ReplaceFileW(
                to_w.as_ptr(),
                from_w.as_ptr(),
                null(),
                REPLACEFILE_IGNORE_MERGE_ERRORS,
                null(),
                null(),
            )
        };
        if replaced != 0 {
            return Ok(());
        }
        let replace_error = io::Error::last_os_error();
        if !is_busy(&replace_error) || waited >= Duration::from_secs(1) {
            return Err(replace_error);
        }
        std::thread::sleep(delay);
        waited += delay;
        delay = (delay * 2).min(Duration::from_millis(50));
    }
}

/// Step 1 of [`replace`]: `Ok(false)` when the system does not support it.
fn rename_posix(file: &File, to_w: &[u16]) -> io::Result<bool> {
    // FileName without the terminating NUL, in bytes.
    let name = &to_w[..to_w.len() - 1];
    let name_bytes = std::mem::size_of_val(name);
    let offset = std::mem::offset_of!(FILE_RENAME_INFO, FileName);
    let size = offset + name_bytes + 2;
    let mut buf = vec![0u64; size.div_ceil(8)];
    let info = buf.as_mut_ptr().cast::<FILE_RENAME_INFO>();
    // SAFETY: buf is zeroed, aligned for FILE_RENAME_INFO and large enough
    // for the header and the name copied behind it.
    let ok = unsafe {
        (*info).Anonymous.Flags =
            FILE_RENAME_FLAG_REPLACE_IF_EXISTS | FILE_RENAME_FLAG_POSIX_SEMANTICS;
        (*info).RootDirectory = null_mut();
        (*info).FileNameLength = name_bytes as u32;
        std::ptr::copy_nonoverlapping(
            name.as_ptr(),
            buf.as_mut_ptr().cast::<u8>().add(offset).cast::<u16>(),
            name.len(),
        );
        SetFileInformationByHandle(
            file.as_raw_handle() as HANDLE,
            FileRenameInfoEx,
            info.cast::<c_void>(),
            size as u32,
        )
    };
    if ok != 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(c)
            if c == ERROR_INVALID_PARAMETER as i32
                || c == ERROR_NOT_SUPPORTED as i32
                || c == ERROR_INVALID_FUNCTION as i32
                || c == ERROR_ACCESS_DENIED as i32 =>
        {
            Ok(false)
        }
        _ => Err(e),
    }
}

fn is_busy(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(c) if c == ERROR_ACCESS_DENIED as i32 || c == ERROR_SHARING_VIOLATION as i32
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use windows_sys::Win32::Security::GetSecurityDescriptorDacl;

    const ME: &str = "S-1-5-21-1-2-3-1000";

    /// The exposure of an in-memory descriptor: the DACL logic without a
    /// file system (Wine keeps on disk only what Unix modes can say).
    fn exposure_of(sddl: &str, directory: bool) -> Option<u32> {
        let text = wide_str(sddl);
        let mut sd: PSECURITY_DESCRIPTOR = null_mut();
        // SAFETY: NUL-terminated SDDL; the descriptor is freed by Local.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                text.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                null_mut(),
            )
        };
        assert_ne!(ok, 0, "{sddl}");
        let sd = Local(sd);
        let (mut present, mut defaulted) = (0, 0);
        let mut dacl: *mut ACL = null_mut();
        // SAFETY: sd is a valid descriptor.
        let ok =
            unsafe { GetSecurityDescriptorDacl(sd.0, &mut present, &mut dacl, &mut defaulted) };
        assert_ne!(ok, 0);
        let dacl = if present != 0 { dacl } else { null_mut() };
        exposure(dacl, directory).unwrap()
    }

    #[test]
    fn the_account_system_and_administrators_are_private() {
        assert_eq!(
            exposure_of(&format!("D:P(A;;FA;;;{ME})(A;;FA;;;SY)"), false),
            None
        );
        assert_eq!(
            exposure_of(&format!("D:P(A;;FA;;;{ME})(A;;FA;;;SY)(A;;FA;;;BA)"), false),
            None
        );
        // An empty DACL grants nobody anything.
        assert_eq!(exposure_of("D:P", false), None);
        // Deny entries give nothing away.
        assert_eq!(
            exposure_of(&format!("D:(D;;FA;;;WD)(A;;FA;;;{ME})"), false),
            None
        );
    }

    #[test]
    fn broad_groups_are_mapped_to_group_and_other_bits() {
        for group in ["WD", "AU", "BU", "BG", "AN"] {
            let read = format!("D:P(A;;FA;;;{ME})(A;;FR;;;{group})");
            assert_eq!(exposure_of(&read, false), Some(0o644), "{group} read");
            assert_eq!(exposure_of(&read, true), Some(0o755), "{group} list");
            let write = format!("D:P(A;;FA;;;{ME})(A;;FW;;;{group})");
            assert_eq!(exposure_of(&write, false), Some(0o622), "{group} write");
            let all = format!("D:P(A;;FA;;;{ME})(A;;GA;;;{group})");
            assert_eq!(exposure_of(&all, false), Some(0o666), "{group} all");
        }
        // Inherited entries count like explicit ones.
        assert_eq!(
            exposure_of(&format!("D:(A;;FA;;;{ME})(A;ID;0x1200a9;;;BU)"), false),
            Some(0o644)
        );
        // No DACL at all: everyone has full access.
        assert_eq!(exposure_of(&format!("O:{ME}"), false), Some(0o666));
    }

    fn wide_text(path: &str) -> String {
        let w = wide_path(Path::new(path)).unwrap();
        assert_eq!(w.last(), Some(&0));
        String::from_utf16(&w[..w.len() - 1]).unwrap()
    }

    #[test]
    fn paths_are_made_verbatim() {
        assert_eq!(
            wide_text(r"C:\ERP\Produção\smartlink.json"),
            r"\\?\C:\ERP\Produção\smartlink.json"
        );
        assert_eq!(
            wide_text("C:/ERP/dados/smartlink.json"),
            r"\\?\C:\ERP\dados\smartlink.json"
        );
        assert_eq!(
            wide_text(r"C:\ERP\x\..\smartlink.json"),
            r"\\?\C:\ERP\smartlink.json"
        );
        assert_eq!(
            wide_text(r"\\fileserver\erp$\smartlink.json"),
            r"\\?\UNC\fileserver\erp$\smartlink.json"
        );
        assert_eq!(
            wide_text(r"\\?\C:\already\verbatim"),
            r"\\?\C:\already\verbatim"
        );
        assert!(wide_path(Path::new("C:\\a\0b")).is_err());
    }
}
