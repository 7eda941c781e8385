namespace Dmp
{
    /// <summary>Identifiers, functional rights, actor profiles: the functions of libdmp without a
    /// handle. JSON goes in and out as text (<see cref="Json"/> reads it).</summary>
    public static class Library
    {
        /// <summary>The version of the loaded library ("0.1.0").</summary>
        public static string Version { get { return Ffi.CString(Native.dmp_version()); } }

        /// <summary>Checks an INS (matricule + INS OID); its HL7 CX form.</summary>
        public static string CheckIns(string matricule, string oid)
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_check_ins(Ffi.C(matricule, "matricule"), Ffi.C(oid, "oid"), out o));
            return Ffi.TakeText(o);
        }

        /// <summary>Checks an INS in CX form: <c>{"matricule", "oid"}</c>.</summary>
        public static string CheckInsCx(string cx)
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_check_ins_cx(Ffi.C(cx, "cx"), out o));
            return Ffi.TakeText(o);
        }

        /// <summary>Checks an RPPS number; its IdNat_PS ("8" + RPPS).</summary>
        public static string CheckRpps(string rpps)
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_check_rpps(Ffi.C(rpps, "rpps"), out o));
            return Ffi.TakeText(o);
        }

        /// <summary>Checks a FINESS number; its canonical form.</summary>
        public static string CheckFiness(string finess)
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_check_finess(Ffi.C(finess, "finess"), out o));
            return Ffi.TakeText(o);
        }

        /// <summary>Checks an IdNat_PS; its canonical form.</summary>
        public static string CheckIdnat(string idnat)
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_check_idnat(Ffi.C(idnat, "idnat"), out o));
            return Ffi.TakeText(o);
        }

        /// <summary>Whether the functional rights allow a transaction: <c>{"allowed", "rows", "transaction"}</c>.</summary>
        public static string RightsDecide(string auth, string actor, string mode, string transaction)
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_rights_decide(Ffi.C(auth, "auth"), Ffi.C(actor, "actor"), Ffi.C(mode, "mode"),
                Ffi.C(transaction, "transaction"), out o));
            return Ffi.TakeText(o);
        }

        /// <summary>Checks an actor profile; what the library derives from it ("allowed_transactions"…).</summary>
        public static string ActorProfileCheck(string profileJson)
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_actor_profile_check(Ffi.C(profileJson, "profile"), out o));
            return Ffi.TakeText(o);
        }
    }
}
