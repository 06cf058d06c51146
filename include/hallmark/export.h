/*
 * hallmark/export.h - symbol visibility and function attributes.
 *
 * Every public function is declared with HM_API, which exports it from the
 * shared library (the library is built with -fvisibility=hidden, so anything
 * without HM_API stays private).  HM_WARN_UNUSED marks calls whose status
 * must be checked; HM_NONNULL(...) lists pointer arguments that must not be
 * NULL.  Nothing here has a run-time cost.
 */
#ifndef HALLMARK_EXPORT_H
#define HALLMARK_EXPORT_H

#if defined(_WIN32) && defined(HM_BUILDING_DLL)
#define HM_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define HM_API __attribute__((visibility("default")))
#else
#define HM_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#define HM_WARN_UNUSED __attribute__((warn_unused_result))
#define HM_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#else
#define HM_WARN_UNUSED
#define HM_NONNULL(...)
#endif

#ifdef __cplusplus
#define HM_BEGIN_DECLS extern "C" {
#define HM_END_DECLS }
#else
#define HM_BEGIN_DECLS
#define HM_END_DECLS
#endif

#endif /* HALLMARK_EXPORT_H */
